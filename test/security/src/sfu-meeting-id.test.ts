/**
 * Trust boundary 1 (SFU compromised), identity part: the SFU cannot map its rooms to meetings.
 * A real meeting is created and joined through the API (SRP, e2ee derivations); the join token
 * is used against an SFU running in a child process. Everything that process holds or emits —
 * its room directory, its metrics, its logs at debug level and a heap snapshot — is searched for
 * the meeting ID. The opaque room ID, which the SFU must hold, is the control: the same search
 * finds it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  freePortBase,
  requireWorkerBin,
  SignalingClient,
} from '../../../services/sfu/src/testing/harness.ts';
import { createRealMeeting, joinMeeting, startApi, type TestApi, tokenClaims } from './support/meeting.ts';

let api: TestApi;
let child: ChildProcess | undefined;
let output = '';
const replies: Record<string, unknown>[] = [];

function nextReply(key: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      const i = replies.findIndex((r) => key in r);
      if (i >= 0) return resolve(replies.splice(i, 1)[0]!);
      if (Date.now() > deadline || child?.exitCode != null) {
        return reject(new Error(`SFU child gave no ${key}; output:\n${output.slice(-2000)}`));
      }
      setTimeout(poll, 20);
    };
    poll();
  });
}

before(async () => {
  api = await startApi('embedded');
});
after(async () => {
  if (child && child.exitCode == null) child.kill('SIGKILL');
  await api?.close();
});

describe('SFU compromised: it cannot map rooms to meetings', () => {
  it('holds no meeting ID in its room directory, metrics, logs or heap', async () => {
    const bin = requireWorkerBin();
    const meeting = await createRealMeeting(api);
    const granted = await joinMeeting(api, meeting, true);
    const claims = tokenClaims(granted.token);
    const room = String(claims.room);
    const { meetingId } = meeting;
    assert.ok(room.length >= 16 && room !== meetingId);
    assert.ok(!JSON.stringify(claims).includes(meetingId), 'the join token carries no meeting ID');

    const portBase = await freePortBase(1);
    const rangeBase = 43000 + Math.floor(Math.random() * 40) * 100;
    child = spawn(process.execPath, ['--expose-gc', join(import.meta.dirname, 'fixtures', 'sfu-child.ts')], {
      env: {
        PATH: process.env.PATH,
        MEDIASOUP_WORKER_BIN: bin,
        JOIN_TOKEN_PUBLIC_KEYS: api.deps.publicKeys.join('\n'),
        // The token names the SFU the API would have chosen; this stand-in answers for it.
        SFU_ACCEPTED_URLS: String(claims.sfu),
        SFU_HOST: '127.0.0.1',
        SFU_PORT: '0',
        SFU_WORKERS: '1',
        SFU_RTC_LISTEN_IP: '127.0.0.1',
        SFU_RTC_PORT_BASE: String(portBase),
        SFU_RTC_MIN_PORT: String(rangeBase),
        SFU_RTC_MAX_PORT: String(rangeBase + 99),
        LOG_LEVEL: 'trace',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let pending = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('@@')) replies.push(JSON.parse(line.slice(2)));
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const { port } = (await nextReply('port')) as { port: number };

    // A host joins with the API's token and sets up media state, then misbehaves a little so
    // error paths log too.
    const client = new SignalingClient(port);
    const welcome = await client.hello(granted.token);
    assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
    await client.request('createWebRtcTransport', { direction: 'send' });
    await client.request('createWebRtcTransport', { direction: 'recv' });
    await client.errorOf('closeTransport', { transportId: meetingId });
    await client.errorOf('hostMute', { peerId: meetingId });

    child.stdin!.write('rooms\n');
    const { rooms } = (await nextReply('rooms')) as { rooms: string[] };
    assert.deepEqual(rooms, [room], 'the room directory is keyed by the opaque room ID');

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /sfu_peers 1/);
    assert.ok(!metrics.includes(meetingId), 'metrics name no meeting');
    assert.ok(!metrics.includes(room), 'metrics name no room');

    const snapshotPath = join(tmpdir(), `conclave-sfu-${process.pid}-${Date.now()}.heapsnapshot`);
    try {
      child.stdin!.write(`snapshot ${snapshotPath}\n`);
      await nextReply('snapshot');
      const heap = readFileSync(snapshotPath, 'latin1');
      assert.ok(heap.length > 1_000_000, 'a real heap snapshot');
      assert.ok(heap.includes(room), 'control: the search finds the room ID the SFU holds');
      assert.ok(!heap.includes(meetingId), 'the meeting ID is nowhere in the SFU heap');
      assert.ok(!heap.includes(meetingId.toLowerCase()), 'not even in lower case');
    } finally {
      rmSync(snapshotPath, { force: true });
    }

    client.close();
    child.stdin!.write('exit\n');
    await new Promise((resolve) => child!.once('exit', resolve));
    // The child's own replies (lines starting with @@) are the test's channel, not SFU logs.
    const logs = output
      .split('\n')
      .filter((line) => !line.startsWith('@@'))
      .join('\n');
    assert.ok(logs.length > 0, 'the SFU logged');
    assert.ok(!logs.includes(meetingId), 'its logs name no meeting');
    assert.ok(!logs.includes(room), 'nor its room');
  });
});
