// Long file: one self-contained script (no dependencies) that operators copy and run with Node.js alone.
// Conclave load generator: meetings, SRP-6a joins, and participants holding MLS delivery
// service and SFU WebSocket sessions with a realistic signaling mix. No dependencies beyond
// Node.js 24 (fetch, WebSocket, node:crypto).
//
//   node deploy/loadtest/loadtest.mjs --api http://127.0.0.1:8080 [--mode smoke|full] [--out FILE]
//
// Scenarios (run concurrently after a setup phase):
//   setup         create the meetings and register their SRP verifiers (computed once each)
//   joins         open-model arrival of SRP joins (init + verify + M2 check) at a target rate
//   participants  members that join, open a DS session (group create / KeyPackage → Welcome,
//                 commits for the others' joins and leaves, encrypted chat and roster traffic)
//                 and an SFU session (transports, audio + simulcast video producers, consumers
//                 of everyone else, layer/pause/key-frame requests), hold them, then leave
//
// MLS payloads are random bytes of realistic sizes (the DS treats them as opaque); commits and
// Welcomes carry a small JSON header so the simulated members agree on leaves and epochs.
// Every check that fails is counted; thresholds turn the run red (exit code 1).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { clientProof, makeVerifier, selfTest, srpSecret } from './srp.mjs';

const { values: args } = parseArgs({
  options: {
    api: { type: 'string', default: 'http://127.0.0.1:8080' },
    mode: { type: 'string', default: 'smoke' },
    out: { type: 'string' },
    // Rewrites the DS/SFU URLs of join answers to go through this base (a reverse proxy).
    'ws-base': { type: 'string' },
    // Overrides of the profile (capacity probes).
    'join-rate': { type: 'string' },
    meetings: { type: 'string' },
    'participants-per-meeting': { type: 'string' },
  },
});

const PROFILES = {
  // ~30 s: enough to exercise every path and threshold.
  smoke: {
    meetings: 4,
    participantsPerMeeting: 4,
    rampSeconds: 6,
    holdSeconds: 14,
    joinRate: 4,
    joinSeconds: 20,
    appIntervalMs: 1500,
    sfuIntervalMs: 2000,
    limitSeconds: 60,
    thresholds: { srpP95: 750, dsWelcomeP95: 2500, sfuP95: 750, appP95: 750, minJoinRatio: 0.9 },
  },
  // A few minutes: sustained joins while a crowd holds sessions.
  full: {
    meetings: 16,
    participantsPerMeeting: 8,
    rampSeconds: 40,
    holdSeconds: 75,
    joinRate: 12,
    joinSeconds: 100,
    appIntervalMs: 2000,
    sfuIntervalMs: 3000,
    limitSeconds: 240,
    thresholds: { srpP95: 1500, dsWelcomeP95: 4000, sfuP95: 1000, appP95: 1000, minJoinRatio: 0.9 },
  },
};
const P = PROFILES[args.mode];
if (!P) throw new Error(`unknown mode ${args.mode}`);
if (args['join-rate']) P.joinRate = Number(args['join-rate']);
if (args.meetings) P.meetings = Number(args.meetings);
if (args['participants-per-meeting']) P.participantsPerMeeting = Number(args['participants-per-meeting']);
const API = args.api.replace(/\/$/, '');
const started = performance.now();
const deadline = started + P.limitSeconds * 1000;
const b64url = (n) => randomBytes(n).toString('base64url');
const b64 = (n) => randomBytes(n).toString('base64');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const elapsed = () => (performance.now() - started) / 1000;

// ---- metrics -------------------------------------------------------------------------------
const trends = new Map();
const counters = new Map();
const failures = new Map();
function trend(name, ms) {
  if (!trends.has(name)) trends.set(name, []);
  trends.get(name).push(ms);
}
function count(name, n = 1) {
  counters.set(name, (counters.get(name) ?? 0) + n);
}
function check(name, ok, detail) {
  count(`checks_${ok ? 'passed' : 'failed'}`);
  if (!ok) {
    failures.set(name, (failures.get(name) ?? 0) + 1);
    if ((failures.get(name) ?? 0) <= 3) console.error(`check failed: ${name}${detail ? ` (${detail})` : ''}`);
  }
  return ok;
}
function pct(values, p) {
  if (!values?.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
let held = 0;
let maxHeld = 0;

// ---- HTTP ----------------------------------------------------------------------------------
async function http(method, path, body, headers = {}, metric) {
  const t0 = performance.now();
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (metric) trend(metric, performance.now() - t0);
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function createMeeting() {
  const password = b64url(16);
  const hostSecret = b64url(16);
  const created = await http('POST', '/v1/meetings', { hostSecret }, {}, 'http_create_meeting');
  if (!check('meeting created (201)', created.status === 201, `status ${created.status}`)) return null;
  const { meetingId } = created.body;
  const secret = srpSecret(password, meetingId);
  const { salt, verifier } = makeVerifier(secret);
  const put = await http(
    'PUT',
    `/v1/meetings/${meetingId}/verifier`,
    { salt, verifier },
    { authorization: `Bearer ${hostSecret}` },
    'http_register_verifier',
  );
  if (!check('verifier registered (204)', put.status === 204, `status ${put.status}`)) return null;
  return { meetingId, secret, hostSecret };
}

/** SRP-6a join; returns the join answer or null (counted as a failed check). */
async function join(meeting, asHost = false) {
  const t0 = performance.now();
  const init = await http(
    'POST',
    `/v1/meetings/${meeting.meetingId}/join/init`,
    undefined,
    {},
    'http_join_init',
  );
  if (!check('join/init 200', init.status === 200, `status ${init.status} ${init.body?.error ?? ''}`))
    return null;
  const proof = clientProof(meeting.secret, init.body);
  const verify = await http(
    'POST',
    `/v1/meetings/${meeting.meetingId}/join/verify`,
    {
      state: init.body.state,
      A: proof.A,
      M1: proof.M1,
      ...(asHost ? { hostSecret: meeting.hostSecret } : {}),
    },
    {},
    'http_join_verify',
  );
  if (!check('join/verify 200', verify.status === 200, `status ${verify.status} ${verify.body?.error ?? ''}`))
    return null;
  if (!check('server proof M2 verifies', proof.verify(verify.body.M2))) return null;
  check('join token issued', typeof verify.body.token === 'string' && verify.body.token.length > 20);
  trend('srp_join', performance.now() - t0);
  count('joins_ok');
  return verify.body;
}

function rewrite(url) {
  if (!args['ws-base']) return url;
  const u = new URL(url);
  return `${args['ws-base'].replace(/\/$/, '')}${u.pathname}`;
}

// ---- WebSocket helper ------------------------------------------------------------------------
function openSocket(url, name) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`${name}: connect timeout`));
    }, 10_000);
    ws.addEventListener('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.addEventListener('error', () => {
      clearTimeout(timer);
      reject(new Error(`${name}: connect error`));
    });
  });
}

// ---- DS member -----------------------------------------------------------------------------
/** DS_PROTOCOL_VERSION of packages/protocol/src/ds/messages.ts (this script imports nothing). */
const DS_PROTOCOL_VERSION = 2;
/** SFU_PROTOCOL_VERSION of packages/protocol/src/sfu/messages.ts. */
const SFU_PROTOCOL_VERSION = 1;
const APP_TOLERATED = new Set(['wrong_epoch', 'stale_epoch']);

class DsMember {
  constructor(answer) {
    this.answer = answer;
    this.epoch = -1;
    this.leaves = {}; // member → leaf
    this.member = '';
    this.joined = false;
    this.leaving = false;
    this.waiters = [];
  }
  async start() {
    const t0 = performance.now();
    this.ws = await openSocket(rewrite(this.answer.dsUrl), 'ds');
    this.ws.addEventListener('message', (e) => this.onMessage(JSON.parse(e.data)));
    this.ws.addEventListener('close', (e) => {
      if (!this.leaving) check('DS session not closed by the server', false, `close ${e.code}`);
    });
    this.ws.send(JSON.stringify({ type: 'hello', v: DS_PROTOCOL_VERSION, token: this.answer.token }));
    const ready = await this.wait((m) => m.type === 'ready' || m.type === 'error', 10_000);
    if (!check('DS ready', ready?.type === 'ready', ready ? JSON.stringify(ready) : 'timeout')) return false;
    trend('ds_ready', performance.now() - t0);
    this.member = ready.member;
    if (ready.create) {
      this.epoch = 0;
      this.leaves = { [this.member]: 0 };
      this.joined = true;
      count('ds_groups_created');
      return true;
    }
    const kpAt = performance.now();
    this.ws.send(JSON.stringify({ type: 'keyPackage', kp: b64(1200) }));
    const welcome = await this.wait((m) => m.type === 'welcome' || m.type === 'create', 15_000);
    if (!check('DS Welcome received', !!welcome, 'timeout')) return false;
    trend('ds_welcome', performance.now() - kpAt);
    return true;
  }
  wait(pred, ms) {
    return new Promise((resolve) => {
      const w = {
        pred,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(null);
        }, ms),
      };
      this.waiters.push(w);
    });
  }
  onMessage(m) {
    switch (m.type) {
      case 'commitRequest':
        this.commit(m);
        break;
      case 'commit': {
        const header = JSON.parse(
          Buffer.from(m.commit, 'base64').subarray(0, 4096).toString().split('\n')[0],
        );
        for (const r of m.removes) delete this.leaves[r];
        for (const a of m.adds) this.leaves[a.member] = a.leaf;
        this.epoch = m.epoch + 1;
        check('commit header matches the DS metadata', header.epoch === m.epoch);
        count('ds_commits_seen');
        break;
      }
      case 'welcome': {
        const header = JSON.parse(Buffer.from(m.welcome, 'base64').toString().split('\n')[0]);
        this.leaves = header.leaves;
        this.epoch = m.epoch;
        this.joined = true;
        break;
      }
      case 'create':
        this.epoch = 0;
        this.leaves = { [this.member]: 0 };
        this.joined = true;
        break;
      case 'app': {
        const sentAt = Number(Buffer.from(m.data, 'base64').readBigUInt64BE(0));
        trend('ds_app_delivery', Date.now() - sentAt);
        count('ds_app_received');
        break;
      }
      case 'error':
        if (APP_TOLERATED.has(m.code)) count(`ds_race_${m.code}`);
        else check('no DS error', false, m.code);
        break;
      default:
        break;
    }
    for (const w of [...this.waiters]) {
      if (w.pred(m)) {
        clearTimeout(w.timer);
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(m);
      }
    }
  }
  commit(req) {
    if (req.epoch !== this.epoch) return;
    const leaves = { ...this.leaves };
    for (const r of req.removes) delete leaves[r.member];
    const used = new Set(Object.values(leaves));
    const adds = req.adds.map((a) => {
      let leaf = 0;
      while (used.has(leaf)) leaf++;
      used.add(leaf);
      leaves[a.member] = leaf;
      return { member: a.member, leaf };
    });
    const head = (obj, size) =>
      Buffer.concat([Buffer.from(`${JSON.stringify(obj)}\n`), randomBytes(size)]).toString('base64');
    this.ws.send(
      JSON.stringify({
        type: 'commit',
        epoch: req.epoch,
        commit: head({ epoch: req.epoch }, 600 + 120 * (adds.length + req.removes.length)),
        ...(adds.length ? { welcome: head({ epoch: req.epoch + 1, leaves }, 1500) } : {}),
        adds,
        removes: req.removes.map((r) => r.member),
      }),
    );
    count('ds_commits_sent');
  }
  sendApp(size) {
    if (!this.joined || this.ws.readyState !== WebSocket.OPEN) return;
    const data = Buffer.concat([Buffer.alloc(8), randomBytes(size)]);
    data.writeBigUInt64BE(BigInt(Date.now()), 0);
    this.ws.send(JSON.stringify({ type: 'app', epoch: this.epoch, data: data.toString('base64') }));
    count('ds_app_sent');
  }
  leave() {
    this.leaving = true;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'leave' }));
    setTimeout(() => this.ws?.close(), 500);
  }
}

// ---- SFU peer --------------------------------------------------------------------------------
const fingerprint = () =>
  [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
const ssrc = () => randomBytes(4).readUInt32BE(0) >>> 1;

class SfuPeer {
  constructor(answer) {
    this.answer = answer;
    this.nextId = 1;
    this.pending = new Map();
    this.consumers = [];
    this.producers = [];
    this.leaving = false;
  }
  async start() {
    const t0 = performance.now();
    this.ws = await openSocket(rewrite(this.answer.sfuUrl), 'sfu');
    this.welcome = new Promise((resolve) => {
      this.resolveWelcome = resolve;
    });
    this.ws.addEventListener('message', (e) => this.onMessage(JSON.parse(e.data)));
    this.ws.addEventListener('close', (e) => {
      for (const [, p] of this.pending) p.resolve(null);
      if (!this.leaving) check('SFU session not closed by the server', false, `close ${e.code}`);
    });
    this.ws.send(JSON.stringify({ type: 'hello', v: SFU_PROTOCOL_VERSION, token: this.answer.token }));
    const welcome = await Promise.race([this.welcome, sleep(10_000).then(() => null)]);
    if (
      !check(
        'SFU welcome',
        welcome?.type === 'welcome',
        welcome ? JSON.stringify(welcome).slice(0, 200) : 'timeout',
      )
    )
      return false;
    trend('sfu_welcome', performance.now() - t0);
    this.caps = welcome.rtpCapabilities;
    this.send = await this.request('createWebRtcTransport', { direction: 'send' });
    this.recv = await this.request('createWebRtcTransport', { direction: 'recv' });
    if (!this.send || !this.recv) return false;
    for (const t of [this.send, this.recv]) {
      await this.request('connectWebRtcTransport', {
        transportId: t.transportId,
        dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fingerprint() }] },
      });
    }
    const mic = await this.request('produce', {
      transportId: this.send.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: {
        mid: '0',
        codecs: [
          {
            mimeType: 'audio/opus',
            payloadType: 111,
            clockRate: 48000,
            channels: 2,
            parameters: { useinbandfec: 1, usedtx: 1 },
            rtcpFeedback: [{ type: 'transport-cc' }],
          },
        ],
        headerExtensions: [
          { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 },
          { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 10 },
        ],
        encodings: [{ ssrc: ssrc(), dtx: true }],
        rtcp: { cname: b64url(8), reducedSize: true },
      },
    });
    const camera = await this.request('produce', {
      transportId: this.send.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: {
        mid: '1',
        codecs: [
          {
            mimeType: 'video/VP8',
            payloadType: 96,
            clockRate: 90000,
            rtcpFeedback: [
              { type: 'goog-remb' },
              { type: 'transport-cc' },
              { type: 'ccm', parameter: 'fir' },
              { type: 'nack' },
              { type: 'nack', parameter: 'pli' },
            ],
          },
          { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 } },
        ],
        headerExtensions: [
          { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 },
          { uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', id: 5 },
        ],
        encodings: [0, 1, 2].map((i) => ({
          ssrc: ssrc(),
          rtx: { ssrc: ssrc() },
          scalabilityMode: 'L1T3',
          ...(i < 2 ? { scaleResolutionDownBy: 4 / 2 ** i } : {}),
        })),
        rtcp: { cname: b64url(8), reducedSize: true },
      },
    });
    if (mic) this.producers.push(mic.producerId);
    if (camera) this.producers.push(camera.producerId);
    for (const p of welcome.producers) await this.consume(p);
    return true;
  }
  request(method, data) {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve(null);
    const id = this.nextId++;
    const t0 = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        check(`SFU ${method} answered`, false, 'timeout');
        resolve(null);
      }, 10_000);
      this.pending.set(id, {
        resolve: (msg) => {
          clearTimeout(timer);
          if (!msg) return resolve(null);
          trend('sfu_request', performance.now() - t0);
          count(`sfu_${method}`);
          // A producer closed by its owner's leave while we consumed it is a normal race.
          const race =
            !msg.ok &&
            ['producer_not_found', 'consumer_not_found', 'cannot_consume'].includes(msg.error?.code);
          if (race) count('sfu_races');
          else check(`SFU ${method} ok`, msg.ok, msg.error?.code);
          resolve(msg.ok ? msg.data : null);
        },
      });
      this.ws.send(JSON.stringify({ type: 'request', id, method, data }));
    });
  }
  onMessage(m) {
    if (m.type === 'welcome' || (m.type === 'error' && this.resolveWelcome)) {
      this.resolveWelcome(m);
      this.resolveWelcome = null;
      return;
    }
    if (m.type === 'response') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
      return;
    }
    if (m.type === 'notification') {
      count(`sfu_notification_${m.method}`);
      if (m.method === 'newProducer') this.consume(m.data);
      if (m.method === 'consumerClosed')
        this.consumers = this.consumers.filter((c) => c.consumerId !== m.data.consumerId);
    }
  }
  async consume(producer) {
    if (!this.recv || this.leaving) return;
    const c = await this.request('consume', {
      transportId: this.recv.transportId,
      producerId: producer.producerId,
      rtpCapabilities: this.caps,
    });
    if (!c) return;
    this.consumers.push(c);
    await this.request('resumeConsumer', { consumerId: c.consumerId });
    if (c.kind === 'video')
      await this.request('setConsumerPreferredLayers', {
        consumerId: c.consumerId,
        spatialLayer: 1,
        temporalLayer: 2,
      });
  }
  /** One signaling action of a participant in a running meeting. */
  async act() {
    const video = this.consumers.filter((c) => c.kind === 'video');
    const r = Math.random();
    if (video.length && r < 0.4) {
      const c = video[Math.floor(Math.random() * video.length)];
      await this.request('setConsumerPreferredLayers', {
        consumerId: c.consumerId,
        spatialLayer: Math.floor(Math.random() * 3),
      });
    } else if (video.length && r < 0.55) {
      const c = video[Math.floor(Math.random() * video.length)];
      await this.request('requestKeyFrame', { consumerId: c.consumerId });
    } else if (this.producers[0] && r < 0.75) {
      await this.request('pauseProducer', { producerId: this.producers[0] });
      await this.request('resumeProducer', { producerId: this.producers[0] });
    } else if (video.length && r < 0.9) {
      const c = video[Math.floor(Math.random() * video.length)];
      await this.request('pauseConsumer', { consumerId: c.consumerId });
      await this.request('resumeConsumer', { consumerId: c.consumerId });
    } else {
      await this.request('listProducers', {});
    }
  }
  leave() {
    this.leaving = true;
    this.ws?.close(1000);
  }
}

// ---- scenarios -------------------------------------------------------------------------------
async function participant(meeting, holdMs) {
  const answer = await join(meeting);
  if (!answer) return;
  const ds = new DsMember(answer);
  const sfu = new SfuPeer(answer);
  let ok = false;
  try {
    ok = (await ds.start()) && (await sfu.start());
  } catch (e) {
    check('participant sessions open', false, e.message);
  }
  if (ok) {
    held++;
    maxHeld = Math.max(maxHeld, held);
    count('participants_held');
    const until = Math.min(performance.now() + holdMs, deadline - 5000);
    let nextApp = performance.now() + Math.random() * P.appIntervalMs;
    let nextSfu = performance.now() + Math.random() * P.sfuIntervalMs;
    while (performance.now() < until) {
      const now = performance.now();
      if (now >= nextApp) {
        // Mostly chat and reactions, sometimes a roster update (name and streams).
        ds.sendApp(Math.random() < 0.2 ? 1024 : 160);
        nextApp = now + P.appIntervalMs * (0.5 + Math.random());
      }
      if (now >= nextSfu) {
        await sfu.act();
        nextSfu = now + P.sfuIntervalMs * (0.5 + Math.random());
      }
      await sleep(Math.max(5, Math.min(nextApp, nextSfu, until) - performance.now()));
    }
    held--;
  }
  sfu.leave();
  ds.leave();
}

async function participantsScenario(meetings) {
  const total = meetings.length * P.participantsPerMeeting;
  const tasks = [];
  for (let i = 0; i < total; i++) {
    const meeting = meetings[i % meetings.length];
    const startAt = (i / total) * P.rampSeconds * 1000;
    // Everyone leaves together at the end of the hold, so the crowd is held at full size.
    const holdMs = P.rampSeconds * 1000 - startAt + P.holdSeconds * 1000;
    tasks.push(sleep(startAt).then(() => participant(meeting, holdMs)));
  }
  await Promise.all(tasks);
}

async function joinsScenario(meetings) {
  const total = Math.round(P.joinRate * P.joinSeconds);
  const t0 = performance.now();
  const tasks = [];
  for (let i = 0; i < total; i++) {
    const at = t0 + (i / P.joinRate) * 1000;
    await sleep(Math.max(0, at - performance.now()));
    if (performance.now() > deadline - 5000) break;
    count('joins_attempted');
    tasks.push(join(meetings[i % meetings.length]).catch((e) => check('join completes', false, e.message)));
  }
  await Promise.all(tasks);
  return (performance.now() - t0) / 1000;
}

// ---- main ------------------------------------------------------------------------------------
selfTest();
console.log(`conclave load test: mode=${args.mode} api=${API}`);
const setupStart = performance.now();
const meetings = [];
for (let i = 0; i < P.meetings; i++) {
  const m = await createMeeting();
  if (m) meetings.push(m);
}
const setupSeconds = (performance.now() - setupStart) / 1000;
if (!meetings.length) {
  console.error('setup failed: no meeting could be created');
  process.exit(1);
}
// The first participant of each meeting joins as host and creates the MLS group.
const [joinSeconds] = await Promise.all([joinsScenario(meetings), participantsScenario(meetings)]);
const wall = elapsed();

const summary = {
  mode: args.mode,
  wallSeconds: Number(wall.toFixed(1)),
  setupSeconds: Number(setupSeconds.toFixed(1)),
  meetings: meetings.length,
  targetParticipants: meetings.length * P.participantsPerMeeting,
  maxConcurrentParticipants: maxHeld,
  joinsPerSecond: Number(((counters.get('joins_ok') ?? 0) / wall).toFixed(2)),
  joinScenarioRate: Number(((counters.get('joins_attempted') ?? 0) / joinSeconds).toFixed(2)),
  counters: Object.fromEntries([...counters].sort()),
  failedChecks: Object.fromEntries(failures),
  latencyMs: Object.fromEntries(
    [...trends]
      .sort()
      .map(([k, v]) => [
        k,
        { n: v.length, p50: round(pct(v, 50)), p95: round(pct(v, 95)), max: round(Math.max(...v)) },
      ]),
  ),
};
function round(x) {
  return x === null ? null : Math.round(x * 10) / 10;
}
const T = P.thresholds;
const lat = summary.latencyMs;
const thresholds = [
  ['zero failed checks', (counters.get('checks_failed') ?? 0) === 0],
  [`srp_join p95 < ${T.srpP95} ms`, (lat.srp_join?.p95 ?? Infinity) < T.srpP95],
  [`ds_welcome p95 < ${T.dsWelcomeP95} ms`, (lat.ds_welcome?.p95 ?? Infinity) < T.dsWelcomeP95],
  [`sfu_request p95 < ${T.sfuP95} ms`, (lat.sfu_request?.p95 ?? Infinity) < T.sfuP95],
  [`ds_app_delivery p95 < ${T.appP95} ms`, (lat.ds_app_delivery?.p95 ?? Infinity) < T.appP95],
  ['every participant held its sessions at once', maxHeld === summary.targetParticipants],
  [
    `join rate >= ${T.minJoinRatio * 100}% of ${P.joinRate}/s`,
    summary.joinScenarioRate >= P.joinRate * T.minJoinRatio,
  ],
];
summary.thresholds = Object.fromEntries(thresholds);
console.log(JSON.stringify(summary, null, 2));
if (args.out) writeFileSync(args.out, JSON.stringify(summary, null, 2));
let red = false;
for (const [name, ok] of thresholds) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
  if (!ok) red = true;
}
console.log(
  `${thresholds.filter(([, ok]) => ok).length} passed, ${thresholds.filter(([, ok]) => !ok).length} failed`,
);
process.exit(red ? 1 : 0);
