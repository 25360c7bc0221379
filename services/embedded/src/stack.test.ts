import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DS_PROTOCOL_VERSION, SFU_PROTOCOL_VERSION } from '@conclave/protocol';
import { createVerifierAndSalt, SRPClientSession, SRPParameters, SRPRoutines } from 'tssrp6a';
import { type EmbeddedStack, startEmbeddedStack } from './stack.ts';

const routines = new SRPRoutines(new SRPParameters());

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

/** Opens a WebSocket, sends one message and resolves with the first message received. */
function firstReply(url: string, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => reject(new Error(`no reply from ${url}`)), 10_000);
    ws.onopen = () => ws.send(JSON.stringify(message));
    ws.onmessage = (event) => {
      clearTimeout(timer);
      resolve(JSON.parse(String(event.data)));
      ws.close();
    };
    ws.onerror = () => reject(new Error(`WebSocket error on ${url}`));
  });
}

describe('embedded stack', () => {
  let stack: EmbeddedStack;
  before(async () => {
    if (!process.env.MEDIASOUP_WORKER_BIN) {
      throw new Error(
        'MEDIASOUP_WORKER_BIN is not set: build the worker with scripts/build-mediasoup-worker.sh',
      );
    }
    stack = await startEmbeddedStack({
      apiPort: 0,
      dsPort: 0,
      sfuPort: 0,
      rtcPortBase: 47000,
      sfuWorkers: 1,
      logLevel: 'warn',
    });
  });
  after(() => stack?.close());

  it('one process serves a meeting end to end: create, SRP join, and a token both DS and SFU accept', async () => {
    const hostSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
    const created = await post(`${stack.apiUrl}/v1/meetings`, { hostSecret });
    assert.equal(created.status, 201);
    const meetingId = created.body.meetingId as string;
    const password = 'f'.repeat(64);
    const { s, v } = await createVerifierAndSalt(routines, meetingId, password);
    const put = await fetch(`${stack.apiUrl}/v1/meetings/${meetingId}/verifier`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hostSecret}` },
      body: JSON.stringify({ salt: s.toString(16), verifier: v.toString(16) }),
    });
    assert.equal(put.status, 204);
    const init = await post(`${stack.apiUrl}/v1/meetings/${meetingId}/join/init`, {});
    const step2 = await (await new SRPClientSession(routines).step1(meetingId, password)).step2(
      BigInt(`0x${init.body.salt}`),
      BigInt(`0x${init.body.B}`),
    );
    const granted = await post(`${stack.apiUrl}/v1/meetings/${meetingId}/join/verify`, {
      state: init.body.state,
      A: step2.A.toString(16),
      M1: step2.M1.toString(16),
      hostSecret,
    });
    assert.equal(granted.status, 200);
    await step2.step3(BigInt(`0x${granted.body.M2}`));
    assert.equal(granted.body.dsUrl, stack.dsUrl);
    assert.equal(granted.body.sfuUrl, stack.sfuUrl);

    const ds = await firstReply(stack.dsUrl, {
      type: 'hello',
      v: DS_PROTOCOL_VERSION,
      token: granted.body.token,
    });
    assert.equal(ds.type, 'ready');
    assert.equal(ds.create, true, 'the first member creates the group');
    assert.equal(ds.role, 'host');
    const sfu = await firstReply(stack.sfuUrl, {
      type: 'hello',
      v: SFU_PROTOCOL_VERSION,
      token: granted.body.token,
    });
    assert.equal(sfu.type, 'welcome');
    assert.equal(sfu.role, 'host');
  });
});
