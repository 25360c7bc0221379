import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { SfuCloseCode } from '@conclave/protocol';
import { freePortBase, randomId, requireWorkerBin, SignalingClient, TestTokens } from './testing/harness.ts';

test('the sfu process reads its env, serves, and drains on SIGTERM until the last room ends', async () => {
  requireWorkerBin();
  const tokens = new TestTokens();
  const rtcBase = await freePortBase(1);
  const child = spawn(process.execPath, [new URL('./main.ts', import.meta.url).pathname], {
    env: {
      PATH: process.env.PATH,
      MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN,
      SFU_HOST: '127.0.0.1',
      SFU_PORT: '0',
      // Port 0 in the public URL stands for the port bound: tokens name the node with it.
      SFU_PUBLIC_URL: 'ws://127.0.0.1:0/v1/sfu',
      SFU_WORKERS: '1',
      SFU_RTC_LISTEN_IP: '127.0.0.1',
      SFU_RTC_PORT_BASE: String(rtcBase),
      SFU_RTC_MIN_PORT: '47000',
      SFU_RTC_MAX_PORT: '47999',
      JOIN_TOKEN_PUBLIC_KEYS: tokens.publicKeyPem,
      SFU_DRAIN_TIMEOUT_MS: '20000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const listening = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry.event === 'sfu_listening') resolve(entry.port as number);
    });
    child.once('exit', (code) => reject(new Error(`sfu exited early with ${code}`)));
  });
  try {
    const port = await listening;
    const room = randomId();
    const sfu = `ws://127.0.0.1:${port}/v1/sfu`;
    const client = new SignalingClient(port);
    assert.equal((await client.hello(tokens.sign(tokens.claims({ room, sfu })))).type, 'welcome');
    const transport = await client.request('createWebRtcTransport', { direction: 'send' });
    assert.equal(transport.iceCandidates[0]?.port, rtcBase);

    child.kill('SIGTERM');
    await client.until(() => lines.some((l) => l.event === 'sfu_draining'), 'draining log line');
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 503);
    const newcomer = new SignalingClient(port);
    await newcomer.hello(tokens.sign(tokens.claims({ room: randomId(), sfu })));
    assert.equal(await newcomer.closed, SfuCloseCode.tryAgainLater);
    assert.equal(child.exitCode, null, 'still serving the open room');

    const exited = once(child, 'exit');
    client.close();
    const [code] = await exited;
    assert.equal(code, 0);
    const text = JSON.stringify(lines);
    assert.ok(!text.includes('127.0.0.1'), 'no IP address in the logs');
    assert.ok(!text.includes(room), 'no room ID in the logs');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
