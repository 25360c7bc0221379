import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createMeeting, startApi, type TestApi } from './harness.ts';

describe('request timeouts', () => {
  let t: TestApi;
  let port: number;
  before(async () => {
    t = await startApi('embedded', { CONCLAVE_REQUEST_TIMEOUT_SECONDS: '2' });
    await t.api.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.api.app.server.address() as { port: number }).port;
  });
  after(() => t?.close());

  it('a client that sends its body slowly is cut off once the request timeout is over', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /v1/meetings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    const started = Date.now();
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    // One byte a quarter second: never idle, never done.
    const drip = setInterval(() => socket.writable && socket.write(' '), 250);
    const closed = await Promise.race([
      new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 8_000)),
    ]);
    clearInterval(drip);
    socket.destroy();
    assert.ok(closed, 'the slow request was still open after 8 s');
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds >= 1.5 && seconds < 6, `cut after ${seconds} s`);
    assert.match(answer, /^HTTP\/1\.1 408/, 'answered 408 Request Timeout');
  });

  it('a long poll still waits for its answer: the timeout is on receiving the request, not on the reply', async () => {
    const m = await createMeeting(t);
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/v1/meetings/${m.meetingId}/lobby/wait`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.hostSecret}` },
      body: JSON.stringify({ seen: [], waitSeconds: 3 }),
    });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 2_500, 'held for the whole wait, past the request timeout');
  });
});
