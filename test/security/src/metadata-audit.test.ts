/**
 * Long file: one audit per place metadata could stay (rows, keys, logs, metrics, files), in one run.
 * "No participant metadata after a call", checked end to end in distributed mode.
 *
 * The API, the MLS delivery service and the SFU run as separate processes from their production
 * entry points on a fresh PostgreSQL database and a Redis database index of their own, logging
 * at debug level to files in their own working directories. Three Chromium participants (a host
 * and two guests) join through the real web client, each with its own user agent and display
 * name and, where the machine has them, its own source address; they chat, the host removes one
 * guest, then ends the meeting. Everything identifying is recorded on the way: the join tokens'
 * session IDs, room and group IDs, the rejoin secrets, the SFU peer and producer IDs, the names,
 * user agents, addresses, the meeting ID, password and host secret, and the chat texts.
 *
 * After the end (and after the clean-up has had time to run), every PostgreSQL row, every Redis
 * key (names and values of all types, BullMQ's included), every log line, every /metrics output
 * and every file under the services' working and temporary directories is searched for all of
 * them; none may be found. The scan is shown to work: a planted value is found in each kind of
 * store, and during the call the meeting's own row and keys are found where they should be.
 *
 * The same meeting is tapped at the SFU (test/security/src/fixtures/sfu-tap.ts, preloaded into
 * the unmodified SFU process, as whoever runs the SFU host could): every forwarded VP8 and Opus
 * frame must carry only the codec's clear prefix followed by an SFrame header whose key ID
 * names the right media source and epoch, never the same key ID and counter for two frames,
 * then high-entropy bytes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeHeader, encodeHeader } from '@conclave/e2ee';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { MeetingNames } from '../../../services/api/src/meetings/meeting-names.ts';
import { deriveStateKeys } from '../../../services/api/src/state-keys.ts';
import { type ParsedRtp, RtpReceiver } from '../../../services/sfu/src/testing/rtp.ts';
import { buildWebClient } from '../../../services/web/build.ts';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  createMeeting,
  type Diagnostics,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
} from '../../../services/web/test/support/harness.ts';
import { type DistributedStack, startDistributedStack } from './support/distributed-stack.ts';
import { type Needle, Scanner } from './support/scan.ts';

const TAP_PRELOAD = fileURLToPath(new URL('./fixtures/sfu-tap.ts', import.meta.url));
// The longest-lived key naming anything of the call is the SFU's room registry entry (~15 s).
const PURGE_DEADLINE_MS = 150_000;

interface Participant {
  role: 'host' | 'guest';
  name: string;
  userAgent: string;
  /** The host literal the browser uses for the page (its source address follows from it). */
  host: string;
  address: string;
  chat: string;
  context?: BrowserContext;
  page?: Page;
  tokens: string[];
  rejoins: string[];
}

/** A non-loopback IPv4 address of this machine, if it has one (browsers then use it as source). */
function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

async function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

// ---- SFrame checks on the tap ----------------------------------------------------------------

interface TapInfo {
  kind: 'audio' | 'video';
  producerId: string;
  mimeType: string;
  payloadType: number;
  ssrc: number;
}

/** RFC 7741 payload descriptor: its length, and whether this packet starts a frame. */
function vp8Descriptor(payload: Buffer): { length: number; frameStart: boolean } {
  let offset = 1;
  const b0 = payload[0]!;
  if (b0 & 0x80) {
    const x = payload[offset++]!;
    if (x & 0x80) offset += payload[offset]! & 0x80 ? 2 : 1; // PictureID (M bit: 15 bits)
    if (x & 0x40) offset += 1; // TL0PICIDX
    if (x & 0x30) offset += 1; // TID / KEYIDX
  }
  return { length: offset, frameStart: (b0 & 0x10) !== 0 && (b0 & 0x07) === 0 };
}

function entropyBitsPerByte(chunks: Buffer[]): { bits: number; bytes: number } {
  const counts = new Array<number>(256).fill(0);
  let total = 0;
  for (const chunk of chunks) {
    for (const byte of chunk) counts[byte]!++;
    total += chunk.length;
  }
  let bits = 0;
  for (const c of counts) if (c) bits -= (c / total) * Math.log2(c / total);
  return { bits, bytes: total };
}

/** The KID's media source for some tree size (S bits of leaf index, E = 4 epoch bits). */
function kidContexts(kid: bigint): Set<number> {
  const contexts = new Set<number>();
  for (let s = 0n; s <= 6n; s++) contexts.add(Number(kid >> (s + 4n)));
  return contexts;
}

interface FrameCheck {
  kind: 'audio' | 'video';
  frames: number;
  keyFrames: number;
  ciphertext: Buffer[];
  problems: string[];
}

function checkTappedStream(info: TapInfo, packets: ParsedRtp[], epochs: Set<number>): FrameCheck {
  const check: FrameCheck = { kind: info.kind, frames: 0, keyFrames: 0, ciphertext: [], problems: [] };
  // (KID, CTR) is the AEAD nonce's input: one frame each. Retransmissions repeat a sequence number.
  const nonceOwner = new Map<string, number>();
  const seen = new Set<number>();
  const ordered = packets.filter((p) => p.ssrc === info.ssrc && p.payloadType === info.payloadType);
  for (const packet of ordered) {
    if (seen.has(packet.sequenceNumber)) continue;
    seen.add(packet.sequenceNumber);
    let frame: Buffer;
    if (info.kind === 'video') {
      const { length, frameStart } = vp8Descriptor(packet.payload);
      if (!frameStart) {
        // The rest of a frame split over several packets: ciphertext and tag only.
        check.ciphertext.push(packet.payload.subarray(length));
        continue;
      }
      frame = packet.payload.subarray(length);
    } else {
      frame = packet.payload;
    }
    if (frame.length === 0) continue;
    check.frames++;
    let prefix = 1; // Opus TOC
    if (info.kind === 'video') {
      const keyFrame = (frame[0]! & 1) === 0;
      prefix = keyFrame ? 10 : 3;
      if (keyFrame) {
        check.keyFrames++;
        // The clear part is exactly a VP8 key-frame header: start code, then sane dimensions.
        if (!frame.subarray(3, 6).equals(Buffer.from([0x9d, 0x01, 0x2a])))
          check.problems.push(
            `key frame without the VP8 start code in its clear prefix (seq ${packet.sequenceNumber})`,
          );
        const width = frame.readUInt16LE(6) & 0x3fff;
        const height = frame.readUInt16LE(8) & 0x3fff;
        if (width < 16 || height < 16 || width > 4096 || height > 4096)
          check.problems.push(`key frame with implausible clear dimensions ${width}x${height}`);
      }
      // After the clear prefix there must not be another VP8 frame header (an unencrypted frame
      // behind a copied prefix would start with one).
      const rest = frame.subarray(prefix);
      if (rest.length >= 6 && rest.subarray(3, 6).equals(Buffer.from([0x9d, 0x01, 0x2a])))
        check.problems.push(`a VP8 key-frame header follows the clear prefix (seq ${packet.sequenceNumber})`);
    }
    let header: { kid: bigint; ctr: bigint; length: number };
    try {
      header = decodeHeader(frame.subarray(prefix));
    } catch (error) {
      check.problems.push(`no SFrame header after the clear prefix (seq ${packet.sequenceNumber}): ${error}`);
      continue;
    }
    const expected = info.kind === 'audio' ? 0 : 1; // MediaContext mic / camera
    if (!kidContexts(header.kid).has(expected))
      check.problems.push(`KID ${header.kid} does not name the ${info.kind} source`);
    if (!epochs.has(Number(header.kid & 15n)))
      check.problems.push(
        `KID ${header.kid} names epoch bits ${header.kid & 15n}, not one of [${[...epochs]}]`,
      );
    const nonce = `${header.kid}/${header.ctr}`;
    const owner = nonceOwner.get(nonce);
    if (owner !== undefined && owner !== packet.timestamp)
      check.problems.push(`KID ${header.kid} CTR ${header.ctr} used for two frames`);
    nonceOwner.set(nonce, packet.timestamp);
    const body = frame.subarray(prefix + header.length);
    if (body.length < 16)
      check.problems.push(`frame too short for a 16-byte tag (seq ${packet.sequenceNumber})`);
    check.ciphertext.push(body);
  }
  return check;
}

// ---- the audit -------------------------------------------------------------------------------

/** Deterministic noise (xorshift32), so the control below always sees the same bytes. */
function noise(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('the SFrame checks on tapped media (control)', () => {
  it('flag unencrypted VP8 and Opus frames, even when their bytes look random', () => {
    const packets: ParsedRtp[] = [];
    for (let n = 0; n < 60; n++) {
      const keyFrame = n % 10 === 0;
      const tag = keyFrame
        ? Buffer.from([0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01])
        : Buffer.from([0x31, 0x10, 0x00]);
      // Compressed video is high-entropy too: random bytes stand for it.
      const frame = Buffer.concat([tag, noise(n + 1, 700)]);
      const descriptor = Buffer.from([0x90, 0x80, 0x80 | (n >> 8), n & 0xff]);
      const common = { marker: true, sequenceNumber: n, timestamp: n * 3000 };
      packets.push({ ...common, payloadType: 101, ssrc: 1, payload: Buffer.concat([descriptor, frame]) });
      packets.push({
        ...common,
        payloadType: 100,
        ssrc: 2,
        payload: Buffer.concat([Buffer.from([0x78]), noise(1000 + n, 90)]),
      });
    }
    const epochs = new Set([1, 2, 3]);
    const video = checkTappedStream(
      { kind: 'video', producerId: 'v', mimeType: 'video/VP8', payloadType: 101, ssrc: 1 },
      packets,
      epochs,
    );
    const audio = checkTappedStream(
      { kind: 'audio', producerId: 'a', mimeType: 'audio/opus', payloadType: 100, ssrc: 2 },
      packets,
      epochs,
    );
    assert.equal(video.frames, 60);
    assert.equal(video.keyFrames, 6);
    assert.equal(audio.frames, 60);
    // Random bytes after the prefix parse as some SFrame header, but its key ID cannot name the
    // right source and a current epoch for frame after frame.
    assert.ok(video.problems.length >= 40, `video problems: ${video.problems.length}`);
    assert.ok(audio.problems.length >= 40, `audio problems: ${audio.problems.length}`);
    // The same frames encrypted the way the sender does pass.
    const ok = checkTappedStream(
      { kind: 'video', producerId: 'v', mimeType: 'video/VP8', payloadType: 101, ssrc: 3 },
      Array.from({ length: 20 }, (_, n) => ({
        marker: true,
        sequenceNumber: n,
        timestamp: n * 3000,
        payloadType: 101,
        ssrc: 3,
        // KID: camera (1) << (S + 4) with S = 2, leaf 1, epoch 2; CTR n.
        payload: Buffer.concat([
          Buffer.from([0x90, 0x80, 0x80, n]),
          Buffer.from([0x31, 0x10, 0x00]),
          encodeHeader(BigInt((1 << 6) + (1 << 4) + 2), BigInt(n)),
          noise(2000 + n, 300),
        ]),
      })),
      epochs,
    );
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.frames, 20);
  });
});

describe('metadata audit: a browser meeting in distributed mode leaves nothing behind', {
  timeout: 600_000,
}, () => {
  let stack: DistributedStack;
  let browser: Browser;
  let webRoot: string;
  let tapDir: string;
  let tap: RtpReceiver;
  const tapInfo: TapInfo[] = [];
  const needles: Needle[] = [];
  const epochsSeen = new Set<number>();
  const peerIds: string[] = [];
  let meetingId = '';
  let midCall: { scanner: Scanner; tables: Record<string, number>; keys: string[] } | undefined;
  const participants: Participant[] = [];

  before(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'conclave-audit-web-'));
    tapDir = await mkdtemp(join(tmpdir(), 'conclave-audit-tap-'));
    await buildWebClient(webRoot);
    tap = new RtpReceiver({ keepPackets: true });
    const tapPort = await tap.bind();
    const lan = lanAddress();
    stack = await startDistributedStack({
      webRoot,
      tlsAddresses: lan ? [lan] : [],
      sfuNodeArgs: ['--import', TAP_PRELOAD],
      sfuEnv: { CONCLAVE_TAP_PORT: String(tapPort), CONCLAVE_TAP_INFO: join(tapDir, 'tap.jsonl') },
    });
    const v6 = await ipv6Loopback();
    const hosts = [
      { host: '127.0.0.1', address: '127.0.0.1' },
      v6 ? { host: '[::1]', address: '::1' } : { host: 'localhost', address: '127.0.0.1' },
      lan ? { host: lan, address: lan } : { host: 'localhost', address: '127.0.0.1' },
    ];
    const names = ['Philomena Quartzwhistle', 'Barnaby Fizzlewick', 'Octavia Brindlemoor'];
    for (const [i, h] of hosts.entries()) {
      participants.push({
        role: i === 0 ? 'host' : 'guest',
        name: names[i]!,
        userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 ConclaveAuditAgent-${['Heron', 'Marmot', 'Ibex'][i]}/${7 + i}.${3 * i}`,
        host: h.host,
        address: h.address,
        chat: `audit chat line ${['tangerine', 'obsidian', 'periwinkle'][i]} ${i * 7919}`,
        tokens: [],
        rejoins: [],
      });
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      timeout: 30_000,
      args: [
        ...CHROMIUM_ARGS,
        // The edge's HTTPS certificate (for the LAN address) is self-signed.
        '--ignore-certificate-errors',
        // Every participant's token names the services by localhost (one edge, one URL); a page
        // on the LAN address may reach it only without the local-network-access checks.
        '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests',
      ],
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    tap?.close();
    await stack?.close();
    for (const dir of [webRoot, tapDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the scanner finds a value planted in PostgreSQL, Redis, a log file and metrics text', async () => {
    const planted = `planted-needle-${Math.random().toString(36).slice(2)}`;
    const scanner = new Scanner([{ label: 'planted', value: planted }]);
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const redis = new Redis(stack.redisUrl);
    const file = join(stack.services[1]!.dir, 'tmp', 'planted.txt');
    try {
      await db.query('CREATE TABLE audit_planted (id int, note jsonb)');
      await db.query('INSERT INTO audit_planted VALUES (1, $1)', [JSON.stringify({ deep: [planted] })]);
      await redis.hset(
        'audit:planted:hash',
        'field',
        Buffer.concat([Buffer.from([0, 255]), Buffer.from(planted)]),
      );
      await redis.zadd('audit:planted:zset', 1, `x${planted}`);
      await redis.xadd('audit:planted:stream', '*', 'data', planted);
      await writeFile(file, `{"level":30,"msg":"${planted}"}\n`);
      await scanner.postgres(stack.databaseUrl);
      await scanner.redis(stack.redisUrl);
      await scanner.files(stack.workRoot);
      scanner.text('metrics', `x_total{label="${planted}"} 1`);
    } finally {
      await db.query('DROP TABLE IF EXISTS audit_planted');
      await db.end();
      await redis.del('audit:planted:hash', 'audit:planted:zset', 'audit:planted:stream');
      redis.disconnect();
      await rm(file, { force: true });
    }
    const where = scanner.hits.map((h) => h.where.split(' ').slice(0, 2).join(' '));
    assert.ok(
      where.some((w) => w.startsWith('postgres public.audit_planted')),
      JSON.stringify(where),
    );
    assert.ok(where.includes('redis hash'), JSON.stringify(where));
    assert.ok(where.includes('redis zset'), JSON.stringify(where));
    assert.ok(where.includes('redis stream'), JSON.stringify(where));
    assert.ok(
      where.some((w) => w === 'file' || w.startsWith('file ')),
      JSON.stringify(where),
    );
    assert.ok(where.includes('metrics'), JSON.stringify(where));
    // Addresses are matched as whole addresses only.
    const bounded = new Scanner([{ label: 'address', value: '127.0.0.1', bounded: true }]);
    bounded.text('a', 'listen 127.0.0.10 and 10.127.0.0.1');
    assert.equal(bounded.hits.length, 0);
    bounded.text('b', '{"ip":"127.0.0.1"}');
    assert.equal(bounded.hits.length, 1);
  });

  it('three browsers meet: join, chat, the host removes one guest, then ends the meeting', async () => {
    for (const p of participants) {
      p.context = await browser.newContext({
        userAgent: p.userAgent,
        permissions: ['camera', 'microphone'],
        ignoreHTTPSErrors: true,
        viewport: { width: 1000, height: 700 },
      });
      p.page = await p.context.newPage();
      p.page.on('dialog', (d) => void d.accept());
      p.page.on('pageerror', (e) => console.error(`[${p.role} page error] ${e.message}`));
      p.page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning')
          console.error(`[${p.role} page ${m.type()}] ${m.text()}`);
      });
      p.page.on('response', async (response) => {
        if (!/\/join\/verify$/.test(new URL(response.url()).pathname) || response.status() !== 200) return;
        const body = (await response.json().catch(() => undefined)) as
          | { token?: string; rejoin?: string }
          | undefined;
        if (body?.token) p.tokens.push(body.token);
        if (body?.rejoin) p.rejoins.push(body.rejoin);
      });
    }
    const [host, guestA, guestB] = participants as [Participant, Participant, Participant];
    const created = await createMeeting(host.page!, stack.origin(host.host));
    const link = new URL(created.link);
    meetingId = link.pathname.split('/').pop()!;
    const password = link.hash.slice(1);
    // Host link: #<password>.<hostSecret>
    const hostSecret = new URL(created.hostLink).hash.slice(1).split('.')[1] ?? '';
    assert.match(hostSecret, /^[A-Za-z0-9_-]{22}$/, 'the host link carries the host secret');
    needles.push(
      { label: 'meeting ID', value: meetingId },
      { label: 'meeting password', value: password },
      { label: 'host secret', value: hostSecret },
    );

    const join = (p: Participant, url: string) =>
      joinMeeting(p.page!, url, p.name).catch(async (error) => {
        throw new Error(`${p.role} at ${url} could not join: ${await p.page!.textContent('body')}`, {
          cause: error,
        });
      });
    await join(host, created.hostLink);
    for (const guest of [guestA, guestB])
      await join(guest, `${stack.origin(guest.host)}${link.pathname}${link.hash}`);
    const pages = participants.map((p) => p.page!);
    const all = await eventually(
      'three members in one epoch, decoding each other',
      () => Promise.all(pages.map(diagnostics)),
      (d) =>
        d.every(
          (x) =>
            x.size === 3 &&
            x.epoch === d[0]!.epoch &&
            x.remote.filter((r) => r.source === 'camera' && r.framesDecoded > 10).length === 2,
        ),
      60_000,
    );
    for (const d of all) {
      epochsSeen.add(d.epoch % 16);
      peerIds.push(d.peerId);
      assert.equal(d.crypto.decryptFailures['SFRAME_AUTH_FAILED'] ?? 0, 0);
    }

    // Chat through MLS: every line reaches the others.
    for (const p of participants) await openPanel(p.page!, 'chat');
    for (const p of participants) {
      await p.page!.fill('#chat-input', p.chat);
      await p.page!.press('#chat-input', 'Enter');
    }
    for (const p of participants)
      await eventually(
        'every chat line everywhere',
        () => p.page!.textContent('#chat-log'),
        (t) => participants.every((q) => t?.includes(q.chat)),
      );

    // While the call is live the scan finds the meeting where it is meant to be: its row in
    // PostgreSQL, named by the keyed hash the API derives (never the meeting, room or group ID,
    // not even now), and live state in Redis.
    const live = participants.flatMap((p) => p.tokens.map(claimsOf));
    assert.ok(live.length >= 3, `join tokens captured: ${live.length}`);
    const room = String(live[0]!.room);
    const grp = String(live[0]!.grp);
    const storedName = new MeetingNames(deriveStateKeys(stack.stateKey).naming).storageName(meetingId);
    const liveScanner = new Scanner([
      { label: 'meeting ID', value: meetingId },
      { label: 'room ID', value: room },
      { label: 'group ID', value: grp },
      { label: 'stored row name', value: storedName },
    ]);
    const tables = await liveScanner.postgres(stack.databaseUrl);
    const keys = await liveScanner.redis(stack.redisUrl);
    midCall = { scanner: liveScanner, tables, keys };
    assert.equal(
      tables['public.meetings'],
      1,
      `the meeting's row exists during the call: ${JSON.stringify(tables)}`,
    );
    const inMeetings = (label: string) =>
      liveScanner.hits.some(
        (h) => h.needle.startsWith(label) && h.where.startsWith('postgres public.meetings'),
      );
    assert.ok(inMeetings('stored row name'), 'the meetings row is found by its keyed name during the call');
    for (const label of ['meeting ID', 'room ID', 'group ID'])
      assert.equal(inMeetings(label), false, `no ${label} in the meetings row, even during the call`);
    assert.ok(keys.length > 0, 'Redis holds live state during the call');

    // Let the tap collect media from everyone, then the host removes guest B.
    await eventually(
      'tapped media from three cameras and three microphones',
      async () => readTapInfo(),
      (info) =>
        info.filter((i) => i.kind === 'video').length >= 3 &&
        info.filter((i) => i.kind === 'audio').length >= 3,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 4000));

    await openPanel(host.page!, 'people');
    const leaf = (await diagnostics(host.page!)).roster.find((r) => r.name === guestB.name)?.leaf;
    assert.ok(leaf !== undefined, 'guest B is in the host’s roster');
    await host.page!.click(`li[data-leaf="${leaf}"] button[data-action="remove"]`);
    await guestB.page!.waitForSelector('#app[data-ended="removed"]', { timeout: 20_000 });
    const afterKick = await eventually(
      'two members in a new epoch',
      () => Promise.all([host.page!, guestA.page!].map(diagnostics)),
      (d: Diagnostics[]) => d.every((x) => x.size === 2 && x.epoch > all[0]!.epoch),
      20_000,
    );
    // Every epoch the group went through (one per join and one for the removal) keyed media.
    for (let epoch = 0; epoch <= Math.max(...afterKick.map((d) => d.epoch)); epoch++)
      epochsSeen.add(epoch % 16);

    await openPanel(host.page!, 'people');
    await host.page!.click('#end-for-all');
    for (const p of [host, guestA])
      await p.page!.waitForSelector('#app[data-ended="ended"]', { timeout: 20_000 });
    for (const p of participants) await p.context!.close();

    // Everything identifying that went by.
    for (const p of participants) {
      needles.push(
        { label: `display name (${p.role})`, value: p.name },
        { label: `user agent marker (${p.role})`, value: p.userAgent.split(' ').pop()! },
        { label: `user agent (${p.role})`, value: p.userAgent },
        { label: `chat text (${p.role})`, value: p.chat },
      );
      for (const token of p.tokens) {
        const claims = claimsOf(token);
        needles.push(
          { label: `join token (${p.role})`, value: token.split('.')[2]! },
          { label: `session ID (${p.role})`, value: String(claims.sid) },
          { label: 'SFU room ID', value: String(claims.room) },
          { label: 'MLS group ID', value: String(claims.grp) },
        );
      }
      for (const rejoin of p.rejoins) needles.push({ label: `rejoin secret (${p.role})`, value: rejoin });
    }
    for (const peerId of peerIds) needles.push({ label: 'SFU peer ID', value: peerId });
    for (const info of await readTapInfo())
      needles.push({ label: `SFU ${info.kind} producer ID`, value: info.producerId });
    for (const address of new Set(participants.map((p) => p.address)))
      needles.push({ label: 'participant address', value: address, bounded: true });
  });

  /** A key or location with its IDs masked, for progress lines. */
  function shape(where: string): string {
    return where.replace(/[A-Za-z0-9_-]{10,}/g, '<id>').replace(/conclave-audit-[^/]+/g, '<dir>');
  }

  async function readTapInfo(): Promise<TapInfo[]> {
    const text = await readFile(join(tapDir, 'tap.jsonl'), 'utf8').catch(() => '');
    tapInfo.length = 0;
    for (const line of text.split('\n')) if (line.trim()) tapInfo.push(JSON.parse(line));
    return tapInfo;
  }

  it('a tap on the SFU sees only the clear codec prefix and SFrame ciphertext', async () => {
    assert.ok(epochsSeen.size > 0, 'the meeting ran');
    assert.ok(
      epochsSeen.size <= 8,
      `the epoch check leaves most KIDs out (${epochsSeen.size} of 16 allowed)`,
    );
    const info = await readTapInfo();
    const checks = info.map((i) => checkTappedStream(i, tap.packets, epochsSeen));
    const video = checks.filter((c) => c.kind === 'video');
    const audio = checks.filter((c) => c.kind === 'audio');
    const videoFrames = video.reduce((n, c) => n + c.frames, 0);
    const keyFrames = video.reduce((n, c) => n + c.keyFrames, 0);
    const audioFrames = audio.reduce((n, c) => n + c.frames, 0);
    console.log(
      `tap: ${tap.packets.length} RTP packets, ${video.length} video streams (${videoFrames} frames, ${keyFrames} key frames), ${audio.length} audio streams (${audioFrames} frames)`,
    );
    assert.ok(
      video.length >= 3 && audio.length >= 3,
      `streams tapped: ${video.length} video, ${audio.length} audio`,
    );
    assert.ok(videoFrames >= 60, `video frames tapped: ${videoFrames}`);
    assert.ok(keyFrames >= 3, `key frames tapped: ${keyFrames}`);
    assert.ok(audioFrames >= 100, `audio frames tapped: ${audioFrames}`);
    const problems = checks.flatMap((c) => c.problems);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
    const videoEntropy = entropyBitsPerByte(video.flatMap((c) => c.ciphertext));
    const audioEntropy = entropyBitsPerByte(audio.flatMap((c) => c.ciphertext));
    console.log(
      `tap: entropy ${videoEntropy.bits.toFixed(4)} bits/byte over ${videoEntropy.bytes} video bytes, ${audioEntropy.bits.toFixed(4)} over ${audioEntropy.bytes} audio bytes`,
    );
    assert.ok(videoEntropy.bytes > 50_000 && videoEntropy.bits > 7.99, JSON.stringify(videoEntropy));
    assert.ok(audioEntropy.bytes > 5_000 && audioEntropy.bits > 7.95, JSON.stringify(audioEntropy));
  });

  it('after the end, no identifier is in PostgreSQL, Redis, logs, metrics or the services’ files', async () => {
    assert.ok(needles.length > 20 && midCall, `identifiers recorded: ${needles.length}`);
    const started = Date.now();
    let scanner: Scanner;
    let tables: Record<string, number> = {};
    let keys: string[] = [];
    let metrics: Record<string, string> = {};
    // Clean-up (meeting row, jobs, DS group state, rate-limit windows) may take a while: rescan
    // until clean or until the deadline, then report what is left.
    for (;;) {
      scanner = new Scanner(needles);
      tables = await scanner.postgres(stack.databaseUrl);
      keys = await scanner.redis(stack.redisUrl);
      metrics = await stack.metrics();
      for (const [service, text] of Object.entries(metrics)) scanner.text(`${service} /metrics`, text);
      await scanner.files(stack.workRoot);
      // Log files do not change any more: hits there are final.
      const settled = scanner.hits.every((h) => h.where.startsWith('file '));
      const elapsed = ((Date.now() - started) / 1000).toFixed(0);
      const pending = [...new Set(scanner.hits.map((h) => shape(h.where)))];
      console.log(
        `audit: +${elapsed} s: ${keys.length} Redis keys, ${scanner.hits.length} hits ${JSON.stringify(pending)}`,
      );
      if (settled || Date.now() - started > PURGE_DEADLINE_MS) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    const lifetimes = [...scanner.redisTtls].map(
      ([key, ttl]) => `${shape(key)} (${ttl === -1 ? 'no TTL' : `${Math.ceil(ttl / 1000)} s`})`,
    );
    console.log(`audit: Redis keys left (${keys.length}): ${[...new Set(lifetimes)].sort().join(', ')}`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `audit: ${needles.length} identifiers; scanned ${scanner.stats.tables} tables / ${scanner.stats.rows} rows, ${scanner.stats.redisKeys} Redis keys, ${scanner.stats.files} files, ${Object.keys(metrics).length} metrics outputs, ${scanner.stats.bytes} bytes; clean after ${seconds} s; hits ${scanner.hits.length}`,
    );

    const report = scanner.hits.map((h) => `${h.needle} in ${h.where}: …${h.context}…`);
    if (report.length) console.log(report.join('\n'));

    // The services' shutdown writes too: stop them and search their files once more.
    await stack.stopServices();
    const afterStop = new Scanner(needles);
    await afterStop.files(stack.workRoot);
    const stopReport = afterStop.hits.map((h) => `${h.needle} in ${h.where}: …${h.context}…`);
    if (stopReport.length) console.log(stopReport.join('\n'));

    // The scan saw real data: every service logged, the schema is there, metrics are real.
    let logLines = 0;
    for (const service of stack.services) {
      const lines = (await readFile(service.logFile, 'utf8')).split('\n').filter(Boolean);
      assert.ok(
        lines.length >= 2,
        `${service.name} wrote ${lines.length} log lines (start and stop at least)`,
      );
      logLines += lines.length;
    }
    console.log(`audit: ${logLines} log lines written by the services`);
    const apiLog = await readFile(stack.services[0]!.logFile, 'utf8');
    assert.match(
      apiLog,
      /"route":"\/v1\/meetings"/,
      'the API logged the creation request (by route pattern)',
    );
    assert.doesNotMatch(
      apiLog,
      /join\/|rejoin\/|knock\/|lobby\//,
      'no request line per join, renewal or knock',
    );
    assert.ok(tables['public._prisma_migrations']! > 0, JSON.stringify(tables));
    assert.equal(tables['public.meetings'], 0, 'the ended meeting is deleted');
    assert.match(metrics.api ?? '', /^conclave_api_http_request_duration_seconds_count\{[^}]*\} [1-9]/m);
    assert.match(metrics.sfu ?? '', /^sfu_signaling_requests_total\{[^}]*\} [1-9]/m);

    // Every key expires, except the job queue's bookkeeping (BullMQ's counter, metadata, the
    // trimmed events stream and the delayed set), the daily sweep of idle permanent rooms (named
    // by its date) and the SFU node index, none of which names a meeting or a person.
    const untimed = [...scanner.redisTtls]
      .filter(
        ([key, ttl]) =>
          ttl === -1 &&
          !/^(bull:[^:]+:(events|id|meta|delayed|meeting\.idle-sweep\|\d{4}-\d{2}-\d{2})|conclave:sfu:v1:nodes)$/.test(
            key,
          ),
      )
      .map(([key]) => key);
    assert.deepEqual(untimed, [], 'Redis keys without a TTL');

    assert.deepEqual(
      stopReport,
      [],
      `identifiers in the services' files after they stopped:\n${stopReport.join('\n')}`,
    );
    assert.deepEqual(report, [], `identifiers left after the call:\n${report.join('\n')}`);
  });
});
