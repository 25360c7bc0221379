// A WebSocket upgrade to a path the SFU does not serve (a stale client, a scanner) is answered
// 404 and its socket closed, so the connection cannot hold up the SFU's shutdown.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { requireWorkerBin, startTestSfu, TestTokens } from '../testing/harness.ts';

test('an upgrade to an unknown path gets 404 and a closed socket; close() does not wait for it', async () => {
  requireWorkerBin();
  const sfu = await startTestSfu(new TestTokens(), { workers: 1 });
  const socket = connect(sfu.port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk) => {
    answer += chunk.toString('latin1');
  });
  socket.write(
    'GET /v1/elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const closedByServer = once(socket, 'close');
  const timeout = AbortSignal.timeout(5000);
  await Promise.race([
    closedByServer,
    once(timeout, 'abort').then(() => assert.fail(`the SFU kept the socket open; answer: ${answer}`)),
  ]);
  assert.match(answer, /^HTTP\/1\.1 404 /);
  const started = Date.now();
  await sfu.close();
  assert.ok(Date.now() - started < 5000, `close() took ${Date.now() - started} ms`);
});
