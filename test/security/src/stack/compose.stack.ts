/**
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
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
} from '../../../../services/web/test/support/harness.ts';
import { type Needle, Scanner } from '../support/scan.ts';
import { type AuditCounts, ContainerAudit } from './support/container-audit.ts';
import {
  assertMidCall,
  auditAfterEnd,
  CONTROL,
  controlled,
  firstMigration,
  found,
  liveNeedles,
  pendingKinds,
  printable,
  storedName,
} from './support/final-scan.ts';
import { confinement } from './support/hardening.ts';
import {
  decodingEachOther,
  diagnosticsNeedles,
  endIfRunning,
  framesLine,
  linkNeedles,
  open as openPerson,
  type Person,
  person,
  personNeedles,
  procNetHex,
  seconds,
} from './support/participants.ts';
import { output, type StackEnv, stackEnv } from './support/stack-env.ts';
import { type LaunchedBrowser, launchBrowser } from './support/trusted-browser.ts';

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
async function storedRowName(env: StackEnv, meetingId: string): Promise<string> {
  const key = (
    await output([...env.compose, 'exec', '-T', 'api', 'printenv', 'CONCLAVE_STATE_KEY'])
  ).toString();
  return storedName(key, meetingId);
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
    if (!meetingEnded) await endIfRunning(host.page);
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

  const open = (p: Person) => openPerson(launched!.browser, p);
  const recordDiagnostics = (d: Parameters<typeof diagnosticsNeedles>[0]) =>
    needles.push(...diagnosticsNeedles(d));

  let midCall: string[] | undefined;

  it('three browsers meet through the web container; lock, refusal, removal and end work', async () => {
    assert.ok(launched, 'the trusted browser is up');
    let started = Date.now();
    const hostPage = await open(host);
    const created = await createMeeting(hostPage, env.url);
    assert.equal(new URL(created.link).origin, new URL(env.url).origin);
    const { meetingId, needles: meetingNeedles } = linkNeedles(created);
    needles.push(...meetingNeedles);
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
        `${framesLine(joined)} (${seconds(started)})`,
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

    // The positive control: the same scan, during the call, finds the meeting where it must be;
    // the rest of the scan has its own controls.
    started = Date.now();
    const liveScanner = new Scanner(liveNeedles(host, meetingId, await storedRowName(env, meetingId)));
    const live = new ContainerAudit(env, liveScanner);
    await live.postgres();
    await live.redis();
    midCall = pendingKinds(liveScanner.hits);
    console.log(
      `mid-call scan: pg_dump ${live.counts.dumpTables} tables / ${live.counts.dumpRows} rows, ` +
        `${live.counts.redisKeys} Redis keys (${seconds(started)}); found ${midCall.join('; ')}`,
    );
    assertMidCall(liveScanner);
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

    for (const p of people) needles.push(...personNeedles(p, { chat: p !== latecomer }));
    needles.push({ label: 'browsers’ address as the containers see it', value: gateway, bounded: true });
  });

  let final: { scanner: Scanner; audit: ContainerAudit } | undefined;
  const inVolume = (h: { where: string }) => h.where.startsWith('volume ');

  it('after the end no identifier is in the logs, PostgreSQL, Redis, writable layers or tmpfs', async () => {
    assert.ok(meetingEnded && midCall, 'the meeting ran and ended');
    // Values that must be found, so that each kind of source is shown to be read: the applied
    // migration (a row in the dump and in PostgreSQL's files) and the root certificate Caddy keeps.
    const caLine = (await readFile(env.caFile, 'utf8')).split('\n')[1]!.trim();
    assert.ok(caLine.length >= 40, 'a line of the root certificate');
    const { scanner, audit } = await auditAfterEnd({
      needles,
      minimum: 25,
      controls: [
        { label: `${CONTROL} applied migration`, value: await firstMigration() },
        { label: `${CONTROL} root certificate`, value: caLine },
      ],
      async scan(scanner) {
        const audit = new ContainerAudit(env, scanner);
        await audit.all({ volumes: false });
        return audit;
      },
      finish: (audit) => audit.volumes(),
      describe: (audit) => describeCounts(audit.counts),
    });
    final = { scanner, audit };
    const c = audit.counts;

    // The scan read real data: logs from every service, the schema and rows, files in the volumes.
    for (const s of ['api', 'mls-ds', 'sfu', 'postgres', 'redis', 'web', 'migrate'])
      assert.ok((c.logLines[s] ?? 0) > 0, `${s} has log lines: ${JSON.stringify(c.logLines)}`);
    assert.ok(c.tmpfsMounts >= 7, `tmpfs mounts read: ${c.tmpfsMounts}`);
    assert.ok(controlled(scanner, 'applied migration', 'postgres dump'), 'the migration row is in the dump');
    assert.ok(
      controlled(scanner, 'applied migration', `volume ${env.project}_postgres-data`),
      'the migration row is in PostgreSQL’s files',
    );
    assert.ok(
      controlled(scanner, 'root certificate', `volume ${env.project}_caddy-data`),
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
