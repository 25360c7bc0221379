/**
 * The Helm chart installed on a real cluster (deploy/cluster/check.sh installs it and sets the
 * CLUSTER_* variables; see support/cluster-env.ts), end to end through a TLS-terminating front
 * standing in for the ingress controller.
 *
 * Three participants meet: one MLS epoch and security code, each decoding the two others'
 * video, chat both ways. Mid-meeting an API pod and a delivery service pod are deleted: the
 * meeting must not end (every page keeps decoding every camera, one epoch and code, chat goes
 * around) and a fourth participant joins and leaves while the replacements come up. The host
 * ends the meeting. Every identifying value that went by is recorded, and once the meeting is
 * over none may be left in any pod's logs (restarted and deleted ones included), PostgreSQL,
 * Redis, the pods' emptyDir volumes or the PersistentVolumes. During the call the same scan
 * finds the meeting where it is meant to be, so the scan reads real data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  submitPrejoin,
} from '../../../../services/web/test/support/harness.ts';
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
  shape,
  storedName,
} from '../stack/support/final-scan.ts';
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
  seconds,
  sleep,
} from '../stack/support/participants.ts';
import { type LaunchedBrowser, launchBrowser } from '../stack/support/trusted-browser.ts';
import { type Needle, Scanner } from '../support/scan.ts';
import { ClusterAudit, describeCounts, keep } from './support/cluster-audit.ts';
import {
  type ClusterEnv,
  clusterEnv,
  describePods,
  kubectl,
  podExec,
  podPeers,
  pods,
  type ReleasePod,
  RELEASE_COMPONENTS,
  releaseReady,
} from './support/cluster-env.ts';

/** A deleted API or DS pod has a Ready replacement within this. */
const REPLACEMENT_DEADLINE_MS = 120_000;
/** The web container's port (Caddy in HTTP mode behind the ingress). */
const WEB_PORT = 8080;

/** When each deleted pod's component again has as many Ready pods as before, none of them deleted. */
async function replacementsReady(
  env: ClusterEnv,
  deleted: ReleasePod[],
  counts: Record<string, number>,
  since: number,
): Promise<Record<string, string>> {
  const ready: Record<string, string> = {};
  const names = new Set(deleted.map((p) => p.name));
  while (Object.keys(ready).length < deleted.length) {
    if (Date.now() - since > REPLACEMENT_DEADLINE_MS)
      assert.fail(`no Ready replacement after ${seconds(since)}: ${describePods(await pods(env))}`);
    const list = await pods(env);
    for (const p of deleted) {
      if (ready[p.component]) continue;
      const fresh = list.filter(
        (q) => q.component === p.component && q.ready && !q.terminating && !names.has(q.name),
      );
      if (fresh.length >= counts[p.component]!) ready[p.component] = seconds(since);
    }
    await sleep(1000);
  }
  return ready;
}

describe('the Helm chart on a cluster: a meeting survives losing pods and leaves nothing in them', {
  timeout: 900_000,
}, () => {
  let env: ClusterEnv;
  let launched: LaunchedBrowser | undefined;
  const needles: Needle[] = [];
  const host = person('host', 'Octavia Helmsworth-Pennyroyal', 'Kestrel', 0, 'Cluster');
  const guestA = person('guest A', 'Barnaby Quistgaard-Lemminkäinen', 'Pangolin', 1, 'Cluster');
  const guestB = person('guest B', 'Wilhelmina Trevanion', 'Axolotl', 2, 'Cluster');
  const fourth = person('fourth', 'Lysander Oakenshott', 'Tapir', 3, 'Cluster');
  const people = [host, guestA, guestB, fourth];
  const three = () => [host.page!, guestA.page!, guestB.page!];
  let created: { link: string; hostLink: string } | undefined;
  let meetingEnded = false;
  let midCall: string[] | undefined;
  let lostPods = false;

  before(async () => {
    env = clusterEnv();
    const list = await releaseReady(env);
    console.log(`release ${env.release} in ${env.namespace}: ${describePods(list)}`);
  });

  after(async () => {
    // A run that failed half-way ends its meeting anyway, so that it does not linger in the release.
    if (!meetingEnded) await endIfRunning(host.page);
    await launched?.close();
  });

  /** Responses of 500 and up the pages got (path and status), reported after the loss of pods. */
  const serverErrors: string[] = [];
  const open = async (p: Person) => {
    const page = await openPerson(launched!.browser, p);
    page.on('response', (r) => {
      if (r.status() >= 500)
        serverErrors.push(`${p.label}: ${r.status()} ${shape(new URL(r.url()).pathname)}`);
    });
    return page;
  };
  const recordDiagnostics = (d: Parameters<typeof diagnosticsNeedles>[0]) =>
    needles.push(...diagnosticsNeedles(d));

  /** Each page sends a chat line; every page must show all of them. */
  async function chatAround(who: Person[], line: (p: Person) => string, what: string): Promise<void> {
    const started = Date.now();
    for (const p of who) await openPanel(p.page!, 'chat');
    for (const p of who) {
      await p.page!.fill('#chat-input', line(p));
      await p.page!.press('#chat-input', 'Enter');
    }
    for (const p of who)
      await eventually(
        `every chat line ${what} at ${p.label}`,
        () => p.page!.textContent('#chat-log'),
        (t) => who.every((q) => t?.includes(line(q))),
        60_000,
      );
    console.log(`meeting: chat ${what} delivered to every page (${seconds(started)})`);
  }

  it('Chromium reaches the release through the front over TLS by trusting its CA', async () => {
    const started = Date.now();
    launched = await launchBrowser(env.caFile);
    const context = await launched.browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(env.url, { timeout: 20_000 });
    assert.equal(response?.status(), 200);
    const tls = await response!.securityDetails();
    const health = await page.evaluate(async (url) => {
      const r = await fetch(`${url}/healthz`, { cache: 'no-store' });
      return `${r.status} ${await r.text()}`;
    }, env.url);
    assert.equal(health, '200 ok');
    await context.close();
    console.log(`tls: ${tls?.protocol}, certificate issued by ${tls?.issuer} (${seconds(started)})`);
  });

  it('three browsers meet through the front: one epoch and code, video and chat both ways', async () => {
    assert.ok(launched, 'the trusted browser is up');
    let started = Date.now();
    const hostPage = await open(host);
    created = await createMeeting(hostPage, env.url);
    assert.equal(new URL(created.link).origin, new URL(env.url).origin);
    const { meetingId, needles: meetingNeedles } = linkNeedles(created);
    needles.push(...meetingNeedles);
    await joinMeeting(hostPage, created.hostLink, host.name);
    for (const guest of [guestA, guestB]) await joinMeeting(await open(guest), created.link, guest.name);
    const joined = await decodingEachOther(three(), 'three members in one epoch, decoding each other');
    assert.match(joined[0]!.securityCode, /^\d{5} \d{5} \d{5} \d{5}$/);
    for (const d of joined) recordDiagnostics(d);
    console.log(
      `meeting: 3 joined, epoch ${joined[0]!.epoch}, code ${joined[0]!.securityCode}, frames decoded ` +
        `${framesLine(joined)} (${seconds(started)})`,
    );
    await chatAround([host, guestA, guestB], (p) => p.chat, 'from each of three');

    // The positive control: the same scan, during the call, finds the meeting where it must be.
    started = Date.now();
    const list = await pods(env);
    const api = list.find((p) => p.component === 'api' && p.ready)!;
    const stateKey = (await podExec(env, api.name, 'api', ['printenv', 'CONCLAVE_STATE_KEY'])).toString();
    const liveScanner = new Scanner(liveNeedles(host, meetingId, storedName(stateKey, meetingId)));
    const live = new ClusterAudit(env, liveScanner);
    await live.postgres(list);
    await live.redis(list);
    midCall = pendingKinds(liveScanner.hits);
    console.log(
      `mid-call scan: pg_dump ${live.counts.dumpTables} tables / ${live.counts.dumpRows} rows, ` +
        `${live.counts.redisKeys} Redis keys (${seconds(started)}); found ${midCall.join('; ')}`,
    );
    assertMidCall(liveScanner);

    // The browsers' address as the pods see it: the web pods' connections on their port come
    // from the front, through the web Service (kube-proxy masquerades them).
    const peers = new Set<string>();
    for (const web of list.filter((p) => p.component === 'web' && p.ready)) {
      const seen = await podPeers(env, web.name, 'web', WEB_PORT);
      if (seen === undefined) {
        console.log(`address: the web image has no cat; ${web.name}'s connections are not read`);
        continue;
      }
      for (const a of seen) if (a !== web.podIp && !a.startsWith('127.')) peers.add(a);
    }
    assert.ok(peers.size > 0, 'the web pods hold the front’s connections (the meeting’s WebSockets)');
    console.log(`address: the web pods see the browsers’ connections from ${[...peers].join(', ')}`);
    for (const a of peers)
      needles.push({ label: 'browsers’ address as the web pods see it', value: a, bounded: true });
  });

  it('deleting an API pod and a DS pod mid-meeting does not end it; a fourth joins and leaves meanwhile', async () => {
    assert.ok(created && midCall, 'the meeting is running');
    const before = await diagnostics(host.page!);
    const list = await pods(env);
    const victims = ['api', 'mls-ds'].map((c) => {
      const p = list.find((q) => q.component === c && q.ready && !q.terminating);
      assert.ok(p, `a Ready ${c} pod: ${describePods(list)}`);
      return p;
    });
    const counts = Object.fromEntries(
      ['api', 'mls-ds'].map((c) => [
        c,
        list.filter((p) => p.component === c && p.ready && !p.terminating).length,
      ]),
    );
    // A fourth participant waits at the pre-join form, to join the moment the pods go.
    const fourthPage = await open(fourth);
    await fourthPage.goto(created.link);
    await fourthPage.waitForSelector('#display-name', { timeout: 30_000 });
    const keeping = await Promise.all(victims.map((p) => keep(env, p)));
    const deletedAt = Date.now();
    await kubectl(env, ['delete', 'pod', '--wait=false', ...victims.map((p) => p.name)]);
    lostPods = true;
    console.log(`pods: deleted ${victims.map((p) => `${p.component}/${p.name}`).join(', ')}`);
    const replaced = replacementsReady(env, victims, counts, deletedAt);
    replaced.catch(() => {});
    const gone = Promise.all(keeping.map((k) => k.gone)).then(() => seconds(deletedAt));

    let started = Date.now();
    const atJoin = describePods(
      (await pods(env)).filter((p) => p.component === 'api' || p.component === 'mls-ds'),
    );
    const asked = seconds(deletedAt);
    await submitPrejoin(fourthPage, fourth.name);
    console.log(`meeting: the fourth asked to join ${asked} after the deletion (${atJoin})`);
    const whileUp = describePods(
      (await pods(env)).filter((p) => p.component === 'api' || p.component === 'mls-ds'),
    );
    console.log(`meeting: the fourth is in, ${seconds(deletedAt)} after the deletion (${whileUp})`);
    const pages = [...three(), fourthPage];
    const four = await decodingEachOther(pages, 'four members after losing an API and a DS pod');
    for (const d of four) recordDiagnostics(d);
    assert.equal(
      four.find((d) => d.ended),
      undefined,
      'no page ended its meeting',
    );
    console.log(
      `meeting: 4 in epoch ${four[0]!.epoch} (was ${before.epoch}), code shared, frames decoded ${framesLine(four)} ` +
        `(${seconds(started)})`,
    );
    await chatAround(people, (p) => `${p.chat} after the pods went`, 'from each of four');

    started = Date.now();
    await fourthPage.click('#leave');
    await fourthPage.waitForSelector('#app[data-ended]', { timeout: 30_000 });
    await fourth.context!.close();
    const left = await decodingEachOther(three(), 'three members after the fourth left');
    for (const d of left) recordDiagnostics(d);
    assert.ok(
      left[0]!.epoch > four[0]!.epoch,
      `the leave made a new epoch (${four[0]!.epoch} → ${left[0]!.epoch})`,
    );
    console.log(
      `meeting: the fourth left; 3 in epoch ${left[0]!.epoch} decoding each other (${seconds(started)})`,
    );

    const ready = await replaced;
    if (serverErrors.length) console.log(`pods: the pages got meanwhile ${serverErrors.join(', ')}`);
    console.log(
      `pods: replacement Ready after ${Object.entries(ready)
        .map(([c, t]) => `${c} ${t}`)
        .join(', ')}; the deleted pods gone after ${await gone} (counted from the deletion)`,
    );
  });

  it('the host ends the meeting for everyone', async () => {
    assert.ok(lostPods, 'the meeting went through the loss of pods');
    const started = Date.now();
    await openPanel(host.page!, 'people');
    await host.page!.click('#end-for-all');
    for (const p of [host, guestA, guestB])
      await p.page!.waitForSelector('#app[data-ended="ended"]', { timeout: 30_000 });
    for (const p of [host, guestA, guestB]) await p.context!.close();
    meetingEnded = true;
    console.log(`meeting: ended for everyone (${seconds(started)})`);
    for (const p of people) needles.push(...personNeedles(p, { chat: true }));
  });

  let final: { scanner: Scanner; audit: ClusterAudit } | undefined;
  const inPv = (h: { where: string }) => h.where.startsWith('pv ');

  it('after the end no identifier is in any pod’s logs, PostgreSQL, Redis or emptyDir volumes', async () => {
    assert.ok(meetingEnded && midCall, 'the meeting ran and ended');
    // Values that must be found, so that each kind of source is shown to be read: the applied
    // migration (a row in the dump and in PostgreSQL's files) and PostgreSQL's data directory
    // (named in the lock file it keeps in its run directory, an emptyDir).
    const { scanner, audit } = await auditAfterEnd({
      needles,
      minimum: 30,
      controls: [
        { label: `${CONTROL} applied migration`, value: await firstMigration() },
        { label: `${CONTROL} PostgreSQL data directory`, value: '/var/lib/postgresql/data/pgdata' },
      ],
      async scan(scanner) {
        const audit = new ClusterAudit(env, scanner);
        await audit.all({ persistentVolumes: false });
        return audit;
      },
      finish: (audit) => audit.persistentVolumes(),
      describe: (audit) => describeCounts(audit.counts),
    });
    final = { scanner, audit };
    const c = audit.counts;

    // The scan read real data: logs of every component, the deleted pods' last logs, the schema
    // and rows, every emptyDir of every pod, files in the PersistentVolumes.
    for (const s of [...RELEASE_COMPONENTS, 'api/migrate'])
      assert.ok((c.logLines[s] ?? 0) > 0, `${s} has log lines: ${JSON.stringify(c.logLines)}`);
    assert.equal(c.deletedPods, 2, 'the deleted API and DS pods’ last reads are scanned');
    assert.ok(c.nodeLogFiles > 0, 'the node’s log files of the namespace were read');
    const declared = (await pods(env)).reduce((n, p) => n + p.emptyDirs.length, 0);
    assert.ok(c.emptyDirs >= declared && declared >= 12, `emptyDirs read: ${c.emptyDirs} of ${declared}`);
    assert.ok(controlled(scanner, 'applied migration', 'postgres dump'), 'the migration row is in the dump');
    assert.ok(controlled(scanner, 'applied migration', 'pv '), 'the migration row is in PostgreSQL’s files');
    assert.ok(
      controlled(scanner, 'PostgreSQL data directory', 'emptyDir postgresql '),
      'PostgreSQL’s lock file is in its run emptyDir',
    );

    const report = scanner.hits.filter((h) => found(h) && !inPv(h)).map(printable);
    assert.deepEqual(report, [], `identifiers left after the meeting:\n${report.join('\n')}`);
  });

  it('after the end no identifier is in the PersistentVolumes, PostgreSQL’s own files included', () => {
    assert.ok(final, 'the release was scanned after the end');
    const report = final.scanner.hits.filter((h) => found(h) && inPv(h)).map(printable);
    assert.deepEqual(
      report,
      [],
      `identifiers left in the PersistentVolumes after the meeting:\n${report.join('\n')}`,
    );
  });
});
