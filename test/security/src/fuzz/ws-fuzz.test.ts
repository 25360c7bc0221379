/**
 * Long file: one mutator per message kind, each small, kept beside the meeting they attack.
 * Bounded WebSocket fuzzing of the delivery service and the SFU signaling, with a meeting
 * running alongside that must keep working:
 * - DS: mutated valid frames (JSON structure mutations, type swaps, huge numbers, unicode,
 *   truncation, binary frames) and mutated MLS bytes (real KeyPackage, commit and application
 *   message bytes, bit-flipped, truncated, spliced) from connections on the meeting's own group;
 *   two real MLS members (packages/e2ee) keep exchanging application messages throughout.
 * - SFU: mutated requests and envelopes from peers in the meeting's room; an honest peer keeps
 *   getting answers.
 * A failure is a server-side `internal` error, a close with 1011/4500, a dead server, or the
 * meeting alongside missing a beat. FUZZ_SECONDS (per target, default 8) and FUZZ_SEED set the
 * run; the summary line `fuzz-summary {...}` gives the counts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createJoiner, deriveMeetingSecrets, type MeetingKeys } from '@conclave/e2ee';
import { DS_PROTOCOL_VERSION, DsCloseCode, SFU_PROTOCOL_VERSION, SfuCloseCode } from '@conclave/protocol';
import type { JoinTokenSigner } from '@conclave/runtime';
import WebSocket from 'ws';
import { E2eeEngine } from '../../../../services/mls-ds/src/testing/engines.ts';
import {
  type Cluster,
  newSigner,
  startCluster,
  tokenFor,
} from '../../../../services/mls-ds/src/testing/fixtures.ts';
import { SimMember } from '../../../../services/mls-ds/src/testing/sim-member.ts';
import type { SfuServer } from '../../../../services/sfu/src/server.ts';
import {
  randomId,
  requireWorkerBin,
  SignalingClient,
  startTestSfu,
  TestTokens,
} from '../../../../services/sfu/src/testing/harness.ts';
import { type Json, mutateBytes, mutateFrame, Rng } from './mutate.ts';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 8);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const CONNECTIONS = Number(process.env.FUZZ_CONNECTIONS ?? 4);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

interface Tally {
  target: string;
  seed: number;
  seconds: number;
  sent: number;
  connections: number;
  serverErrors: Record<string, number>;
  closes: Record<string, number>;
  heartbeats: number;
  failures: string[];
}

function tally(target: string): Tally {
  return {
    target,
    seed: SEED,
    seconds: SECONDS,
    sent: 0,
    connections: 0,
    serverErrors: {},
    closes: {},
    heartbeats: 0,
    failures: [],
  };
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Runs one fuzzing connection after another until `deadline`: opens, sends `opening` frames,
 * then mutated frames at about `perSecond`; reconnects when the server closes.
 */
async function fuzzConnections(options: {
  url: string;
  deadline: number;
  rng: Rng;
  t: Tally;
  opening: () => (string | Buffer)[];
  frame: () => string | Buffer;
  perSecond: number;
  isFailure: (message: Record<string, unknown>) => string | undefined;
  failureCloses: number[];
}): Promise<void> {
  const { t } = options;
  while (Date.now() < options.deadline) {
    t.connections++;
    const ws = new WebSocket(options.url, { maxPayload: 64 * 1024 * 1024 });
    const last: (string | Buffer)[] = [];
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    ws.on('message', (raw) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(raw.toString()) as Record<string, unknown>;
      } catch {
        t.failures.push(`non-JSON server frame: ${raw.toString().slice(0, 100)}`);
        return;
      }
      const failure = options.isFailure(message);
      if (failure) {
        t.failures.push(`${failure} after ${last.map((f) => f.toString().slice(0, 300)).join(' | ')}`);
      }
      const code = (message.code ?? (message.error as { code?: string } | undefined)?.code) as
        | string
        | undefined;
      if (code) bump(t.serverErrors, code);
    });
    const opened = await Promise.race([
      new Promise<boolean>((resolve) => ws.once('open', () => resolve(true))),
      closed.then(() => false),
      sleep(5000).then(() => false),
    ]);
    if (!opened) {
      t.failures.push('connection refused or not opened within 5 s');
      ws.terminate();
      await sleep(200);
      continue;
    }
    let open = true;
    void closed.then((code) => {
      open = false;
      bump(t.closes, String(code));
      if (options.failureCloses.includes(code)) {
        t.failures.push(`close ${code} after ${last.map((f) => f.toString().slice(0, 300)).join(' | ')}`);
      }
    });
    const send = (frame: string | Buffer) => {
      if (!open || ws.readyState !== WebSocket.OPEN) return;
      last.push(frame);
      if (last.length > 3) last.shift();
      ws.send(frame);
      t.sent++;
    };
    for (const frame of options.opening()) send(frame);
    const connectionEnd = Math.min(options.deadline, Date.now() + 500 + options.rng.int(3000));
    while (open && Date.now() < connectionEnd) {
      send(options.frame());
      await sleep(1000 / options.perSecond);
    }
    if (open) {
      if (options.rng.chance(0.5)) ws.close();
      else ws.terminate();
    }
    await Promise.race([closed, sleep(2000)]);
  }
}

function report(t: Tally): void {
  console.log(
    `fuzz-summary ${JSON.stringify({ ...t, failures: t.failures.length, samples: t.failures.slice(0, 5) })}`,
  );
}

describe('WebSocket fuzzing with a meeting alongside', () => {
  describe('MLS delivery service', () => {
    let signer: JoinTokenSigner;
    let cluster: Cluster;
    let url: string;
    before(async () => {
      signer = newSigner();
      // Generous per-connection rates so the fuzzer reaches the message handlers.
      cluster = await startCluster(signer, {
        env: { DS_RATE_MESSAGES_PER_SECOND: '400', DS_RATE_MESSAGE_BURST: '800' },
      });
      url = `ws://127.0.0.1:${cluster.instances[0]!.port}/v1/ds`;
    });
    after(async () => {
      await cluster?.close();
    });

    it(`survives ${SECONDS} s of mutated JSON frames and mutated MLS bytes`, {
      timeout: (SECONDS + 90) * 1000,
    }, async () => {
      const rng = new Rng(SEED);
      const t = tally('mls-ds');
      const secrets = await deriveMeetingSecrets('FZZZ234567', randomBytes(16).toString('base64url'));
      const keys: MeetingKeys = {
        mlsPsk: secrets.mlsPsk,
        pskId: Buffer.from(secrets.pskId).toString('utf8'),
        credKey: secrets.credKey,
      };
      const grp = randomBytes(16).toString('base64url');
      const groupId = randomBytes(16);
      const engine = () =>
        new E2eeEngine(
          { mlsPsk: Uint8Array.from(keys.mlsPsk), pskId: keys.pskId, credKey: Uint8Array.from(keys.credKey) },
          Uint8Array.from(groupId),
        );
      const a = await SimMember.join(url, tokenFor(signer, grp, { role: 'host' }), engine());
      const b = await SimMember.join(url, tokenFor(signer, grp), engine());
      await b.waitForEpoch(1);
      await a.waitForEpoch(1);

      // Real MLS bytes to mutate: a KeyPackage made with the password, the commit that added
      // b and an application message.
      await a.sendText('seed');
      const deadlineSeed = Date.now() + 5000;
      while (!b.texts.includes('seed') && Date.now() < deadlineSeed) await sleep(20);
      const commitMsg =
        b.client.received.find((m) => m.type === 'welcome') ??
        a.client.received.find((m) => m.type === 'commit');
      const appMsg = b.client.received.find((m) => m.type === 'app');
      assert.ok(commitMsg && appMsg, 'captured real MLS messages');
      const realBytes: Uint8Array[] = [
        (await createJoiner(keys)).keyPackageBytes,
        Buffer.from(
          (commitMsg as { welcome?: string; commit?: string }).welcome ??
            (commitMsg as { commit: string }).commit,
          'base64',
        ),
        Buffer.from((appMsg as { data: string }).data, 'base64'),
      ];
      const mls = () => b64(mutateBytes(rng, rng.pick(realBytes)));
      const corpus: Json[] = [
        { type: 'keyPackage', kp: b64(realBytes[0]!) },
        { type: 'app', epoch: 1, data: b64(realBytes[2]!) },
        {
          type: 'commit',
          epoch: 1,
          commit: b64(realBytes[1]!),
          adds: [{ member: 'x', leaf: 2 }],
          removes: [],
        },
        {
          type: 'commit',
          epoch: 1,
          commit: b64(realBytes[1]!),
          welcome: b64(realBytes[1]!),
          adds: [],
          removes: ['y'],
          rejected: ['z'],
        },
        { type: 'reject', members: ['a', 'b'] },
        { type: 'kick', member: 'someone' },
        { type: 'leave' },
        { type: 'hello', v: DS_PROTOCOL_VERSION, token: tokenFor(signer, grp) },
        { type: 'resume', v: DS_PROTOCOL_VERSION, member: 'm', secret: 's', seq: 3 },
        { t: 'hello', v: 1, token: tokenFor(signer, grp) },
        { type: 'app', id: 7, epoch: 0, data: '' },
      ];

      // The meeting alongside: a and b alternate application messages; each must arrive.
      const deadline = Date.now() + SECONDS * 1000;
      let heartbeatFailure: string | undefined;
      const heartbeat = (async () => {
        let n = 0;
        while (Date.now() < deadline && !heartbeatFailure) {
          const [from, to] = n % 2 === 0 ? [a, b] : [b, a];
          const text = `beat-${n++}`;
          await from.sendText(text);
          const until = Date.now() + 5000;
          while (!to.texts.includes(text)) {
            if (Date.now() > until) {
              heartbeatFailure = `application message ${text} not delivered within 5 s`;
              break;
            }
            await sleep(10);
          }
          t.heartbeats++;
          await sleep(200);
        }
      })();

      const workers = Array.from({ length: CONNECTIONS }, (_, i) =>
        fuzzConnections({
          url,
          deadline,
          rng: new Rng(SEED * 31 + i),
          t,
          perSecond: 150,
          opening: () => {
            const hello = {
              type: 'hello',
              v: DS_PROTOCOL_VERSION,
              token: tokenFor(signer, i === 0 ? randomId() : grp, { role: i % 2 ? 'host' : 'participant' }),
            };
            // Mostly a valid hello into the meeting's group, sometimes a mutated one.
            return [
              rng.chance(0.85) ? JSON.stringify(hello) : mutateFrame(rng, [hello]),
              JSON.stringify({ type: 'keyPackage', kp: mls() }),
            ];
          },
          frame: () => {
            const roll = rng.int(10);
            if (roll < 3) {
              const kind = rng.pick(['keyPackage', 'app', 'commit'] as const);
              if (kind === 'keyPackage') return JSON.stringify({ type: kind, kp: mls() });
              if (kind === 'app')
                return JSON.stringify({ type: kind, epoch: rng.pick([0, 1, 2]), data: mls() });
              return JSON.stringify({
                type: kind,
                epoch: rng.pick([0, 1, 2]),
                commit: mls(),
                adds: [],
                removes: [],
              });
            }
            return mutateFrame(rng, corpus);
          },
          isFailure: (m) =>
            m.type === 'error' && (m.code === 'internal' || m.code === 'internal_error')
              ? `error ${m.code}`
              : undefined,
          failureCloses: [1011, DsCloseCode.internalError],
        }),
      );
      await Promise.all([...workers, heartbeat]);
      if (heartbeatFailure) t.failures.push(heartbeatFailure);

      // Afterwards the two members are still one group that agrees on its security code.
      await Promise.all([a.settled(), b.settled()]);
      await a.sendText('final');
      const until = Date.now() + 5000;
      while (!b.texts.includes('final') && Date.now() < until) await sleep(20);
      if (!b.texts.includes('final')) t.failures.push('final application message not delivered');
      if (a.epoch !== b.epoch || (await a.engine.exporter()) !== (await b.engine.exporter())) {
        t.failures.push(`members disagree: epochs ${a.epoch}/${b.epoch}`);
      }
      const health = await fetch(`http://127.0.0.1:${cluster.instances[0]!.port}/readyz`);
      if (health.status !== 200) t.failures.push(`readyz ${health.status}`);
      report(t);
      a.leave();
      b.leave();
      assert.ok(t.sent > SECONDS * 50, `fuzzer sent ${t.sent} frames`);
      assert.deepEqual(t.failures, [], 'no server failure and the meeting kept working');
    });
  });

  describe('SFU signaling', () => {
    const tokens = new TestTokens();
    let sfu: SfuServer & { port: number };
    before(async () => {
      requireWorkerBin();
      sfu = await startTestSfu(tokens, { workers: 1 });
    });
    after(async () => {
      await sfu?.close();
    });

    it(`survives ${SECONDS} s of mutated signaling while a room keeps answering`, {
      timeout: (SECONDS + 60) * 1000,
    }, async () => {
      const rng = new Rng(SEED + 1);
      const t = tally('sfu');
      const room = randomId();
      const host = new SignalingClient(sfu.port);
      await host.hello(tokens.sign(tokens.claims({ room, role: 'host' })));
      const guest = new SignalingClient(sfu.port);
      await guest.hello(tokens.sign(tokens.claims({ room })));
      const send = await guest.request('createWebRtcTransport', { direction: 'send' });
      const recv = await host.request('createWebRtcTransport', { direction: 'recv' });
      const caps = host.welcome?.rtpCapabilities as Json;

      const request = (method: string, data: Json, id: Json = rng.int(1000)) => ({
        type: 'request',
        id,
        method,
        data,
      });
      const corpus: Json[] = [
        request('getRouterRtpCapabilities', {}),
        request('listProducers', {}),
        request('createWebRtcTransport', { direction: 'send' }),
        request('connectWebRtcTransport', {
          transportId: send.transportId,
          dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AA:BB' }] },
        }),
        request('restartIce', { transportId: recv.transportId }),
        request('closeTransport', { transportId: 'nope' }),
        request('produce', {
          transportId: send.transportId,
          kind: 'audio',
          source: 'mic',
          rtpParameters: {
            codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
            encodings: [{ ssrc: 1234 }],
          },
        }),
        request('produce', {
          transportId: send.transportId,
          kind: 'video',
          source: 'camera',
          rtpParameters: {
            codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
            encodings: [{ rid: 'r0', scalabilityMode: 'L1T3' }, { rid: 'r1' }, { rid: 'r2' }],
          },
        }),
        request('consume', { transportId: recv.transportId, producerId: 'p', rtpCapabilities: caps }),
        request('pauseConsumer', { consumerId: 'c' }),
        request('setConsumerPreferredLayers', { consumerId: 'c', spatialLayer: 2, temporalLayer: 1 }),
        request('setConsumerPriority', { consumerId: 'c', priority: 300 }),
        request('requestKeyFrame', { consumerId: 'c' }),
        request('hostMute', { peerId: 'x' }),
        request('hostAllow', { peerId: 'x', sources: ['mic', 'camera'] }),
        request('hostStopVideo', { peerId: 'x' }),
        request('hostRemove', { peerId: 'x' }),
        { type: 'hello', v: SFU_PROTOCOL_VERSION, token: tokens.sign(tokens.claims({ room })) },
        { type: 'response', id: 1, ok: true, data: {} },
      ];

      const deadline = Date.now() + SECONDS * 1000;
      let heartbeatFailure: string | undefined;
      const heartbeat = (async () => {
        while (Date.now() < deadline && !heartbeatFailure) {
          try {
            const listed = await host.rawAwait('listProducers', {});
            if (listed.ok !== true)
              heartbeatFailure = `listProducers failed: ${JSON.stringify(listed.error)}`;
            const caps2 = await guest.rawAwait('getRouterRtpCapabilities', {});
            if (caps2.ok !== true)
              heartbeatFailure = `getRouterRtpCapabilities failed: ${JSON.stringify(caps2.error)}`;
          } catch (error) {
            heartbeatFailure = `honest peer got no answer: ${String(error)}`;
          }
          if (host.closeCode !== undefined || guest.closeCode !== undefined) {
            heartbeatFailure = `honest peer closed: ${host.closeCode}/${guest.closeCode}`;
          }
          t.heartbeats++;
          await sleep(200);
        }
      })();

      const url = `ws://127.0.0.1:${sfu.port}/v1/sfu`;
      const workers = Array.from({ length: CONNECTIONS }, (_, i) =>
        fuzzConnections({
          url,
          deadline,
          rng: new Rng(SEED * 17 + i),
          t,
          perSecond: 80,
          opening: () => {
            // Guests of the same room (never the host role, which could legitimately remove the
            // honest peers), or of another room; sometimes a mutated hello.
            const hello = {
              type: 'hello',
              v: SFU_PROTOCOL_VERSION,
              token: tokens.sign(tokens.claims({ room: i === 0 ? randomId() : room })),
            };
            return [rng.chance(0.85) ? JSON.stringify(hello) : mutateFrame(rng, [hello])];
          },
          frame: () => mutateFrame(rng, corpus),
          isFailure: (m) => {
            const code = (m.error as { code?: string } | undefined)?.code;
            return code === 'internal' ? `internal error: ${JSON.stringify(m.error)}` : undefined;
          },
          failureCloses: [SfuCloseCode.internal],
        }),
      );
      await Promise.all([...workers, heartbeat]);
      if (heartbeatFailure) t.failures.push(heartbeatFailure);
      const ready = await fetch(`http://127.0.0.1:${sfu.port}/readyz`);
      if (ready.status !== 200) t.failures.push(`readyz ${ready.status}`);
      report(t);
      host.close();
      guest.close();
      assert.ok(t.sent > SECONDS * 30, `fuzzer sent ${t.sent} frames`);
      assert.deepEqual(t.failures, [], 'no server failure and the room kept answering');
    });
  });
});
