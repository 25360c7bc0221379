/**
 * Long file: the compose stack's checks share one running stack and one set of browsers.
 * The shipped Docker Compose stack, end to end (deploy/stack/stack.sh up, then
 * `eval "$(deploy/stack/stack.sh env)"`; deploy/stack/check.sh does both).
 *
 * Every running container is confined as compose.yaml says. Chromium trusts Caddy's internal CA
 * only because it was imported into its NSS database (a browser without it is refused). Three
 * participants meet through the web container's HTTPS: one MLS epoch and security code, each
 * decoding the two others' video, chat both ways; the host locks the meeting and removes a guest
 * (who is told so), a latecomer is refused and knocks, the host denies them, the two left keep
 * decoding each other, and the host ends the meeting. Every identifying value that went by is
 * recorded, and once the meeting is over none may be left in the containers' logs, PostgreSQL,
 * Redis, writable layers, tmpfs mounts or named volumes. During the call the same scan finds
 * the meeting where it is meant to be, so the scan reads real data.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  createMeeting,
  type Diagnostics,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
} from '../../../../services/web/test/support/harness.ts';
import { MeetingNames } from '../../../../services/api/src/meetings/meeting-names.ts';
import { deriveStateKeys } from '../../../../services/api/src/state-keys.ts';
import { type Needle, Scanner } from '../support/scan.ts';
import { type AuditCounts, ContainerAudit } from './support/container-audit.ts';
import { confinement } from './support/hardening.ts';
import { output, type StackEnv, stackEnv } from './support/stack-env.ts';
import { type LaunchedBrowser, launchBrowser } from './support/trusted-browser.ts';

// The longest-lived state naming an ended meeting (the SFU's room registry entry, the API's
// queued jobs) is gone within this.
const PURGE_DEADLINE_MS = 150_000;
/** Positive controls of the final scan are labelled so. */
const CONTROL = 'control:';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

interface Person {
  label: string;
  name: string;
  userAgent: string;
  chat: string;
  context?: BrowserContext;
  page?: Page;
  /** Whatever the API handed this browser: join tokens, rejoin and knock secrets, sealed names. */
  secrets: Needle[];
}

function person(label: string, name: string, animal: string, i: number): Person {
  return {
    label,
    name,
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 ConclaveStackAgent-${animal}/${3 + i}.${7 * i}`,
    chat: `stack chat line ${['marigold', 'basalt', 'cerulean'][i] ?? 'none'} ${i * 6151 + 17}`,
    secrets: [],
  };
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** The IPv4 address as /proc/net/tcp writes it (little-endian hex). */
function procNetHex(address: string): string {
  return address
    .split('.')
    .reverse()
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

/** A location with its IDs masked, for progress lines. */
function shape(where: string): string {
  return where.replace(/[A-Za-z0-9_-]{10,}/g, '<id>');
}

function describeCounts(c: AuditCounts): string {
  const logs = Object.entries(c.logLines)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return (
    `${c.containers} containers; log lines: ${logs}; pg_dump ${c.dumpTables} tables / ${c.dumpRows} rows; ` +
    `${c.redisKeys} Redis keys; ${c.changedFiles} changed files; ${c.tmpfsFiles} files in ${c.tmpfsMounts} tmpfs mounts; ` +
    `${c.volumeFiles} files in ${c.volumes} volumes; ${c.bytes} bytes`
  );
}

/** The name the API stores a meeting's row under, derived with the deployment's own state key. */
async function storedName(env: StackEnv, meetingId: string): Promise<string> {
  const key = (await output([...env.compose, 'exec', '-T', 'api', 'printenv', 'CONCLAVE_STATE_KEY']))
    .toString()
    .trim();
  return new MeetingNames(deriveStateKeys(Buffer.from(key, 'base64')).naming).storageName(meetingId);
}

describe('the compose stack: a meeting through the web container leaves nothing in the containers', {
  timeout: 480_000,
}, () => {
  let env: StackEnv;
  let launched: LaunchedBrowser | undefined;
  let gateway = '';
  const needles: Needle[] = [];
  const host = person('host', 'Philippa Stackhouse-Quenby', 'Heron', 0);
  const guestA = person('guest A', 'Ignatius Vollmerbrook', 'Marmot', 1);
  const guestB = person('guest B', 'Rosalind Quillfeather', 'Ibex', 2);
  const latecomer = person('latecomer', 'Cornelius Lockwardine', 'Okapi', 3);
  const people = [host, guestA, guestB, latecomer];
  let meetingEnded = false;

  before(async () => {
    env = stackEnv();
    const network = JSON.parse(
      (await output(['docker', 'network', 'inspect', `${env.project}_frontend`])).toString('utf8'),
    ) as { IPAM: { Config: { Gateway?: string; Subnet?: string }[] } }[];
    gateway = network[0]?.IPAM.Config.find((c) => c.Gateway?.includes('.'))?.Gateway ?? '';
    assert.match(
      gateway,
      /^\d+\.\d+\.\d+\.\d+$/,
      `the frontend network's IPv4 gateway: ${JSON.stringify(network)}`,
    );
  });

  after(async () => {
    // A run that failed half-way ends its meeting anyway, so that it does not linger in the stack.
    if (!meetingEnded && host.page && !host.page.isClosed()) {
      await openPanel(host.page, 'people').catch(() => {});
      await host.page.click('#end-for-all', { timeout: 10_000 }).catch(() => {});
      await sleep(1000);
    }
    await launched?.close();
  });

  it('every running container is confined as compose.yaml declares', async () => {
    const started = Date.now();
    const results = await confinement(env);
    for (const r of results)
      console.log(
        `confinement: ${r.service.padEnd(8)} user ${JSON.stringify(r.user)} uids ${r.processUids.join(',')} ` +
          `read-only ${r.readOnly} cap_add ${JSON.stringify(r.capAdd)}${r.problems.length ? ` PROBLEMS ${r.problems.join('; ')}` : ''}`,
      );
    const services = results.map((r) => r.service).sort();
    for (const s of ['api', 'mls-ds', 'postgres', 'redis', 'sfu', 'web'])
      assert.ok(services.includes(s), `${s} is running: ${services.join(', ')}`);
    assert.deepEqual(
      results.filter((r) => r.problems.length).map((r) => `${r.service}: ${r.problems.join('; ')}`),
      [],
    );
    console.log(`confinement: ${results.length} containers checked in ${seconds(started)}`);
  });

  it('Chromium reaches the stack over TLS only by trusting its CA', async () => {
    const started = Date.now();
    const untrusted = await launchBrowser(undefined);
    try {
      const page = await (await untrusted.browser.newContext()).newPage();
      await assert.rejects(page.goto(env.url, { timeout: 20_000 }), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusted.close();
    }
    launched = await launchBrowser(env.caFile);
    const context = await launched.browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(env.url, { timeout: 20_000 });
    assert.equal(response?.status(), 200);
    const tls = await response!.securityDetails();
    assert.match(tls?.issuer ?? '', /Caddy Local Authority/, JSON.stringify(tls));
    const health = await page.evaluate(async (url) => {
      const r = await fetch(`${url}/healthz`, { cache: 'no-store' });
      return `${r.status} ${await r.text()}`;
    }, env.url);
    assert.equal(health, '200 ok');
    await context.close();
    console.log(`tls: ${tls?.protocol}, certificate issued by ${tls?.issuer} (${seconds(started)})`);
  });

  async function open(p: Person): Promise<Page> {
    const context = await launched!.browser.newContext({
      userAgent: p.userAgent,
      permissions: ['camera', 'microphone'],
      viewport: { width: 960, height: 640 },
    });
    // The machine may be busy: navigations and clicks get more than Playwright's 30 s.
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    p.context = context;
    p.page = page;
    page.on('dialog', (d) => void d.accept());
    page.on('pageerror', (e) => console.error(`[${p.label} page error] ${e.message}`));
    page.on('console', (m) => {
      // A refused join or knock is logged by the browser as a failed request (423, 403): expected.
      if (/^Failed to load resource: .* status of 4\d\d/.test(m.text())) return;
      if (m.type() === 'error' || m.type() === 'warning')
        console.error(`[${p.label} page ${m.type()}] ${m.text()}`);
    });
    page.on('request', (request) => {
      if (!request.url().endsWith('/knock/verify')) return;
      const sealed = (request.postDataJSON() as { sealedName?: string } | null)?.sealedName;
      if (sealed) p.secrets.push({ label: `sealed name (${p.label})`, value: sealed });
    });
    page.on('response', async (response) => {
      const path = new URL(response.url()).pathname;
      if (response.status() !== 200 || !/\/(join\/verify|knock\/verify|rejoin\/renew)$/.test(path)) return;
      const body = (await response.json().catch(() => undefined)) as Record<string, string> | undefined;
      if (!body) return;
      if (body['token']) {
        const claims = claimsOf(body['token']);
        p.secrets.push(
          { label: `join token signature (${p.label})`, value: body['token'].split('.')[2]! },
          { label: `session ID (${p.label})`, value: String(claims['sid']) },
          { label: 'SFU room ID', value: String(claims['room']) },
          { label: 'MLS group ID', value: String(claims['grp']) },
        );
      }
      for (const key of ['rejoin', 'knockId', 'knockSecret'])
        if (body[key]) p.secrets.push({ label: `${key} (${p.label})`, value: body[key] });
    });
    return page;
  }

  /**
   * Every remote camera's framesDecoded rises on each page over two seconds, no frame ever fails
   * authentication, and meanwhile no frame is dropped except a duplicate (a late retransmission
   * on a busy machine reassembles a frame already delivered; the replay window drops it). Frames
   * of an epoch whose commit a page has not processed yet may be dropped around a change of members.
   */
  async function decodingEachOther(pages: Page[], what: string): Promise<Diagnostics[]> {
    const others = pages.length - 1;
    const first = await eventually(
      what,
      () => Promise.all(pages.map(diagnostics)),
      (d) =>
        d.every(
          (x) =>
            x.size === pages.length &&
            x.epoch === d[0]!.epoch &&
            x.securityCode === d[0]!.securityCode &&
            x.remote.filter((r) => r.source === 'camera' && r.framesDecoded > 10).length === others,
        ),
      90_000,
    );
    // Every camera keeps decoding on every page. Polled: a page whose decoder waits for a key
    // frame after a change of members resumes when it arrives; how long that took is logged.
    const framesOf = (d: Diagnostics[], i: number, peerId: string) =>
      d[i]!.remote.find((r) => r.peerId === peerId && r.source === 'camera')?.framesDecoded ?? 0;
    const rising = (d: Diagnostics[]) =>
      d.every((_, i) =>
        first[i]!.remote.filter((r) => r.source === 'camera').every(
          (r) => framesOf(d, i, r.peerId) > r.framesDecoded,
        ),
      );
    const waitFrom = Date.now();
    await sleep(2000);
    let second = await Promise.all(pages.map(diagnostics));
    while (!rising(second) && Date.now() - waitFrom < 12_000) {
      await sleep(500);
      second = await Promise.all(pages.map(diagnostics));
    }
    console.log(`${what}: every camera rising on every page after ${seconds(waitFrom)}`);
    for (const [i, d] of second.entries()) {
      for (const cam of first[i]!.remote.filter((r) => r.source === 'camera')) {
        const now = framesOf(second, i, cam.peerId);
        assert.ok(
          now > cam.framesDecoded,
          `${what}: page ${i} keeps decoding ${cam.peerId} (${cam.framesDecoded} → ${now})`,
        );
      }
      const failures = d.crypto.decryptFailures;
      if (Object.keys(failures).length)
        console.log(`${what}: page ${i} dropped frames before: ${JSON.stringify(failures)}`);
      assert.equal(
        failures['SFRAME_AUTH_FAILED'] ?? 0,
        0,
        `${what}: page ${i} frames failing authentication`,
      );
      const { SFRAME_REPLAY: _replays, ...dropped } = failures;
      const { SFRAME_REPLAY: _replaysBefore, ...droppedBefore } = first[i]!.crypto.decryptFailures;
      assert.deepEqual(
        dropped,
        droppedBefore,
        `${what}: page ${i} dropped frames while the meeting was steady`,
      );
      assert.ok(d.crypto.decrypted > first[i]!.crypto.decrypted, `${what}: page ${i} keeps decrypting`);
    }
    return second;
  }

  /** The IDs the pages expose: SFU peer IDs, the DS's member IDs. */
  function recordDiagnostics(d: Diagnostics): void {
    const extra = d as Diagnostics & { member?: string; dsMembers?: { member: string }[] };
    needles.push({ label: 'SFU peer ID', value: d.peerId });
    for (const r of d.roster) if (r.peerId) needles.push({ label: 'SFU peer ID (roster)', value: r.peerId });
    if (extra.member) needles.push({ label: 'DS member ID', value: extra.member });
    for (const m of extra.dsMembers ?? [])
      if (m.member) needles.push({ label: 'DS member ID', value: m.member });
  }

  let midCall: string[] | undefined;

  it('three browsers meet through the web container; lock, refusal, removal and end work', async () => {
    assert.ok(launched, 'the trusted browser is up');
    let started = Date.now();
    const hostPage = await open(host);
    const created = await createMeeting(hostPage, env.url);
    const link = new URL(created.link);
    assert.equal(link.origin, new URL(env.url).origin);
    const meetingId = link.pathname.split('/').pop()!;
    const password = link.hash.slice(1);
    const hostSecret = new URL(created.hostLink).hash.slice(1).split('.')[1] ?? '';
    assert.match(hostSecret, /^[A-Za-z0-9_-]{22}$/, 'the host link carries the host secret');
    needles.push(
      { label: 'meeting ID', value: meetingId },
      { label: 'meeting password', value: password },
      { label: 'host secret', value: hostSecret },
    );
    const join = (p: Person, url: string) =>
      joinMeeting(p.page!, url, p.name).catch(async (error) => {
        throw new Error(`${p.label} could not join: ${await p.page!.textContent('#app')}`, { cause: error });
      });
    await join(host, created.hostLink);
    for (const guest of [guestA, guestB]) {
      await open(guest);
      await join(guest, created.link);
    }
    const three = [host.page!, guestA.page!, guestB.page!];
    const joined = await decodingEachOther(three, 'three members in one epoch, decoding each other');
    assert.match(joined[0]!.securityCode, /^\d{5} \d{5} \d{5} \d{5}$/);
    for (const d of joined) recordDiagnostics(d);
    console.log(
      `meeting: 3 joined, epoch ${joined[0]!.epoch}, code ${joined[0]!.securityCode}, frames decoded ` +
        `${joined
          .map((d) =>
            d.remote
              .filter((r) => r.source === 'camera')
              .map((r) => r.framesDecoded)
              .join('/'),
          )
          .join(' ')} (${seconds(started)})`,
    );

    started = Date.now();
    for (const p of [host, guestA, guestB]) await openPanel(p.page!, 'chat');
    for (const p of [host, guestA, guestB]) {
      await p.page!.fill('#chat-input', p.chat);
      await p.page!.press('#chat-input', 'Enter');
    }
    for (const p of [host, guestA, guestB])
      await eventually(
        `every chat line at ${p.label}`,
        () => p.page!.textContent('#chat-log'),
        (t) => [host, guestA, guestB].every((q) => t?.includes(q.chat)),
      );
    console.log(`meeting: chat delivered both ways (${seconds(started)})`);

    // The positive control: the same scan, during the call, finds the meeting where it must be
    // (its row in PostgreSQL, under the name the API derives with the deployment's state key; its
    // live state in Redis), and the database holds no meeting, room or group ID even now. The
    // rest of the scan has its own controls.
    started = Date.now();
    const tokens = host.secrets;
    const room = tokens.find((n) => n.label === 'SFU room ID')?.value;
    const group = tokens.find((n) => n.label === 'MLS group ID')?.value;
    assert.ok(room && group, 'the host’s join token was seen');
    const liveScanner = new Scanner([
      { label: 'meeting ID', value: meetingId },
      { label: 'SFU room ID', value: room },
      { label: 'MLS group ID', value: group },
      { label: 'stored row name', value: await storedName(env, meetingId) },
    ]);
    const live = new ContainerAudit(env, liveScanner);
    await live.postgres();
    await live.redis();
    midCall = [...new Set(liveScanner.hits.map((h) => `${h.needle.split(' (')[0]} in ${shape(h.where)}`))];
    console.log(
      `mid-call scan: pg_dump ${live.counts.dumpTables} tables / ${live.counts.dumpRows} rows, ` +
        `${live.counts.redisKeys} Redis keys (${seconds(started)}); found ${midCall.join('; ')}`,
    );
    const inDump = (label: string) =>
      liveScanner.hits.some((h) => h.needle.startsWith(label) && h.where === 'postgres dump');
    assert.ok(inDump('stored row name'), 'the meeting’s row is in the PostgreSQL dump during the call');
    for (const label of ['meeting ID', 'SFU room ID', 'MLS group ID'])
      assert.equal(inDump(label), false, `the ${label} is not in the PostgreSQL dump, even during the call`);
    assert.ok(
      liveScanner.hits.some((h) => h.needle.startsWith('SFU room ID') && h.where.startsWith('redis ')),
      'the call’s room is in live Redis state',
    );
    // The address needle is what the containers really see: the web container's connections
    // on its HTTPS port come from the frontend network's gateway.
    const sockets = (
      await output([...env.compose, 'exec', '-T', 'web', 'cat', '/proc/net/tcp', '/proc/net/tcp6'])
    )
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const peers = sockets.filter((cols) => cols[1]?.endsWith(':20FB')).map((cols) => cols[2] ?? '');
    assert.ok(
      peers.some((p) => p.split(':')[0]!.endsWith(procNetHex(gateway))),
      `browsers reach the web container from ${gateway} (${procNetHex(gateway)}): ${peers.join(' ')}`,
    );

    // Lock; guest B is removed and told so; the latecomer is refused, knocks, and is denied.
    started = Date.now();
    await openPanel(hostPage, 'people');
    await hostPage.click('#toggle-lock');
    await eventually(
      'lock badge',
      () => hostPage.isVisible('#lock-badge'),
      (v) => v,
    );
    const leaf = (await diagnostics(hostPage)).roster.find((r) => r.name === guestB.name)?.leaf;
    assert.ok(leaf !== undefined, 'guest B is in the host’s roster, by name');
    await hostPage.click(`li[data-leaf="${leaf}"] button[data-action="remove"]`);
    await guestB.page!.waitForSelector('#app[data-ended="removed"]', { timeout: 30_000 });
    assert.match((await guestB.page!.textContent('#app'))!, /You were removed from the meeting/);
    await guestB.context!.close();

    const late = await open(latecomer);
    await late.goto(created.link);
    await late.waitForSelector('#app[data-error="meeting_locked"]', { timeout: 30_000 });
    assert.match((await late.textContent('#app'))!, /This meeting is locked/);
    await late.fill('#knock-name', latecomer.name);
    await late.click('#ask-to-join');
    await late.waitForSelector('#app[data-knock="waiting"]', { timeout: 30_000 });
    await eventually(
      'the knock in the host’s lobby, by name',
      () => hostPage.textContent('#lobby-list'),
      (t) => !!t?.includes(latecomer.name),
      30_000,
    );
    await hostPage.click('#lobby-list [data-action="deny"]');
    await late.waitForSelector('#app[data-knock="denied"]', { timeout: 30_000 });
    await latecomer.context!.close();
    console.log(`meeting: locked, guest B removed, latecomer refused and denied (${seconds(started)})`);

    started = Date.now();
    const two = await decodingEachOther(
      [hostPage, guestA.page!],
      'two members in a new epoch, still decoding',
    );
    assert.ok(
      two[0]!.epoch > joined[0]!.epoch,
      `the removal made a new epoch (${joined[0]!.epoch} → ${two[0]!.epoch})`,
    );
    assert.notEqual(two[0]!.securityCode, joined[0]!.securityCode);
    for (const d of two) recordDiagnostics(d);
    console.log(`meeting: 2 left in epoch ${two[0]!.epoch}, decoding each other (${seconds(started)})`);

    await openPanel(hostPage, 'people');
    await hostPage.click('#end-for-all');
    for (const p of [host, guestA])
      await p.page!.waitForSelector('#app[data-ended="ended"]', { timeout: 30_000 });
    for (const p of [host, guestA]) await p.context!.close();
    meetingEnded = true;

    for (const p of people) {
      needles.push(
        { label: `display name (${p.label})`, value: p.name },
        { label: `user agent (${p.label})`, value: p.userAgent },
        { label: `user agent marker (${p.label})`, value: p.userAgent.split(' ').pop()! },
        ...p.secrets,
      );
      if (p !== latecomer) needles.push({ label: `chat text (${p.label})`, value: p.chat });
    }
    needles.push({ label: 'browsers’ address as the containers see it', value: gateway, bounded: true });
  });

  let final: { scanner: Scanner; audit: ContainerAudit } | undefined;
  const inVolume = (h: { where: string }) => h.where.startsWith('volume ');
  const found = (h: { needle: string }) => !h.needle.startsWith(CONTROL);
  const printable = (h: { needle: string; where: string; context: string }) =>
    `${h.needle} in ${h.where}: …${h.context.replace(/[^\x20-\x7e]+/g, '·')}…`;

  it('after the end no identifier is in the logs, PostgreSQL, Redis, writable layers or tmpfs', async () => {
    assert.ok(meetingEnded && midCall, 'the meeting ran and ended');
    const unique = [...new Map(needles.map((n) => [n.value, n])).values()];
    assert.ok(unique.length >= 25, `identifiers recorded: ${unique.length}`);
    // Values that must be found, so that each kind of source is shown to be read: the applied
    // migration (a row in the dump and in PostgreSQL's files) and the root certificate Caddy keeps.
    const caLine = (await readFile(env.caFile, 'utf8')).split('\n')[1]!.trim();
    assert.ok(caLine.length >= 40, 'a line of the root certificate');
    const migrations = new URL('../../../../services/api/prisma/migrations/', import.meta.url);
    const firstMigration = (await readdir(migrations)).filter((n) => /^\d{14}_/.test(n)).sort()[0]!;
    const controls: Needle[] = [
      { label: `${CONTROL} applied migration`, value: firstMigration },
      { label: `${CONTROL} root certificate`, value: caLine },
    ];
    const kinds = new Map<string, number>();
    for (const n of unique) {
      const kind = n.label.replace(/ \(.*\)$/, '');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(`audit: identifiers: ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    const started = Date.now();
    let scanner: Scanner;
    let audit: ContainerAudit;
    // Clean-up (the meeting row, queued jobs, the DS's and SFU's state, rate-limit windows) takes
    // a while: rescan until clean or until the deadline, then read the volumes once.
    for (;;) {
      scanner = new Scanner([...unique, ...controls]);
      audit = new ContainerAudit(env, scanner);
      await audit.all({ volumes: false });
      const pending = [
        ...new Set(scanner.hits.filter(found).map((h) => `${h.needle.split(' (')[0]} in ${shape(h.where)}`)),
      ];
      console.log(
        `audit: +${seconds(started)}: ${audit.counts.redisKeys} Redis keys, ${pending.length} kinds of hits ${JSON.stringify(pending)}`,
      );
      if (pending.length === 0 || Date.now() - started > PURGE_DEADLINE_MS) break;
      await sleep(5_000);
    }
    await audit.volumes();
    final = { scanner, audit };
    const c = audit.counts;
    console.log(
      `audit: ${unique.length} identifiers; scanned ${describeCounts(c)}; ${seconds(started)} after the end`,
    );
    const lifetimes = audit.redisKeys.map(
      (k) => `${shape(k.name)} (${k.type}, ${k.ttlMs < 0 ? 'no TTL' : `${Math.ceil(k.ttlMs / 1000)} s`})`,
    );
    console.log(`audit: Redis keys left: ${[...new Set(lifetimes)].sort().join(', ') || 'none'}`);
    if (c.skipped.length) console.log(`audit: not read: ${c.skipped.join('; ')}`);

    // The scan read real data: logs from every service, the schema and rows, files in the volumes.
    for (const s of ['api', 'mls-ds', 'sfu', 'postgres', 'redis', 'web', 'migrate'])
      assert.ok((c.logLines[s] ?? 0) > 0, `${s} has log lines: ${JSON.stringify(c.logLines)}`);
    assert.ok(c.tmpfsMounts >= 7, `tmpfs mounts read: ${c.tmpfsMounts}`);
    const controlled = (label: string, where: string) =>
      scanner.hits.some((h) => h.needle.startsWith(`${CONTROL} ${label}`) && h.where.startsWith(where));
    assert.ok(controlled('applied migration', 'postgres dump'), 'the migration row is in the dump');
    assert.ok(
      controlled('applied migration', `volume ${env.project}_postgres-data`),
      'the migration row is in PostgreSQL’s files',
    );
    assert.ok(
      controlled('root certificate', `volume ${env.project}_caddy-data`),
      'Caddy’s CA is in its volume',
    );

    const report = scanner.hits.filter((h) => found(h) && !inVolume(h)).map(printable);
    assert.deepEqual(report, [], `identifiers left after the meeting:\n${report.join('\n')}`);
  });

  it('after the end no identifier is in the named volumes, PostgreSQL’s own files included', () => {
    assert.ok(final, 'the containers were scanned after the end');
    const report = final.scanner.hits.filter((h) => found(h) && inVolume(h)).map(printable);
    assert.deepEqual(report, [], `identifiers left in the volumes after the meeting:\n${report.join('\n')}`);
  });
});
