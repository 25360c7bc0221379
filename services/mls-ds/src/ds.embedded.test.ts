import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DS_PROTOCOL_VERSION, DsCloseCode, DsCloseReason } from '@conclave/protocol';
import { DsTestClient } from './testing/ds-client.ts';
import { type Cluster, newSigner, randomId, startCluster } from './testing/fixtures.ts';
import { checkLeafMapping } from './testing/leaf-mapping.ts';
import { eventually, TestMeeting } from './testing/meeting.ts';
import type { MemoryGroupStateStore } from './state/memory-store.ts';
import { TokenBucket } from './edge/rate-limiter.ts';
import { parseClientFrame, parseFirstFrame } from './edge/frames.ts';

describe('embedded DS: in-process state, no Redis', () => {
  const signer = newSigner();
  let cluster: Cluster;
  const http = (path: string) =>
    cluster.instances[0]!.url.replace('ws://', 'http://').replace('/v1/ds', path);

  before(async () => {
    cluster = await startCluster(signer, { count: 1 });
  });
  after(() => cluster?.close());

  it('members on real MLS join, chat and agree on the security code', async () => {
    const meeting = new TestMeeting(signer);
    for (let i = 0; i < 5; i++) await meeting.join(cluster.instances[0]!.url);
    await meeting.converged(5);
    assert.equal(new Set(await meeting.exporters()).size, 1);
    await meeting.members[4]!.sendText('hi');
    await eventually(() => meeting.members.slice(0, 4).every((m) => m.texts.includes('hi')), 5000, 'chat');
    for (const m of meeting.members) {
      m.leave();
      await m.client.closed;
    }
    await eventually(
      () => (cluster.stores[0] as MemoryGroupStateStore).size === 0,
      5000,
      'group state deleted',
    );
  });

  it('members are confirmed to the API on the bus when they join, resume, and after a rejoin reset', async () => {
    const bus = cluster.instances[0]!.server.service.bus;
    const confirmed: string[] = [];
    const unsubscribe = bus.subscribe((e) => {
      if (e.type === 'session.joined') confirmed.push(e.sid);
    });
    try {
      const meeting = new TestMeeting(signer, { real: false });
      const sids = [randomId(), randomId()];
      const a = await meeting.join(cluster.instances[0]!.url, {
        token: meeting.token('participant', sids[0]),
      });
      const b = await meeting.join(cluster.instances[0]!.url, {
        token: meeting.token('participant', sids[1]),
      });
      await meeting.converged(2);
      await eventually(() => sids.every((s) => confirmed.includes(s)), 5000, 'creator and joiner confirmed');
      confirmed.length = 0;
      await bus.publish({ type: 'rejoin.reset', grp: meeting.grp });
      await eventually(() => sids.every((s) => confirmed.includes(s)), 5000, 'members confirmed again');
      confirmed.length = 0;
      b.client.terminate();
      await b.client.closed;
      await b.resume(cluster.instances[0]!.url);
      await eventually(() => confirmed.includes(sids[1]!), 5000, 'resumed member confirmed');
      await bus.publish({ type: 'rejoin.reset', grp: randomId() });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(confirmed, [sids[1]], 'another group’s reset confirms nobody here');
      a.leave();
      b.leave();
    } finally {
      unsubscribe();
    }
  });

  it('a client of protocol version 1 is closed 4400 unsupported_version, and the DS goes on', async () => {
    const url = cluster.instances[0]!.url;
    const meeting = new TestMeeting(signer, { real: false });
    const token = meeting.token();
    const frames = [
      { t: 'hello', v: 1, token },
      { t: 'resume', v: 1, member: randomId(), secret: `${randomId()}.${randomId()}`, seq: 3 },
      { type: 'hello', v: 1, token },
    ];
    for (const frame of frames) {
      const c = await DsTestClient.connect(url);
      c.send(frame);
      assert.deepEqual(await c.closed, {
        code: DsCloseCode.protocolError,
        reason: DsCloseReason.unsupportedVersion,
      });
    }
    const creator = await meeting.join(url, { token });
    assert.equal(creator.epoch, 0, 'the refused token still creates the group');
    creator.leave();
    await creator.client.closed;
  });

  it('ready and welcome tell a joiner which DS member sits on every leaf', async () => {
    await checkLeafMapping(new TestMeeting(signer, { real: false }), () => cluster.instances[0]!.url);
  });

  it('health, readiness and metrics answer without naming any group', async () => {
    assert.equal((await fetch(http('/healthz'))).status, 200);
    assert.equal((await fetch(http('/readyz'))).status, 200);
    const metrics = await (await fetch(http('/metrics'))).text();
    assert.match(metrics, /ds_commits_total\{outcome="accepted"\} [1-9]/);
    assert.match(metrics, /ds_join_seconds_count [1-9]/);
    const labels = new Set([...metrics.matchAll(/\{([a-z_]+)=/g)].map((m) => m[1]));
    // Service labels, plus those of prom-client's process metrics (heap space, Node version, GC kind).
    const allowed = ['type', 'outcome', 'code', 'le', 'space', 'version', 'major', 'minor', 'patch', 'kind'];
    for (const label of labels) assert.ok(allowed.includes(label!), `label ${label}`);
  });
});

describe('edge helpers', () => {
  it('a token bucket allows its burst, then only its rate', () => {
    const bucket = new TokenBucket(10, 5, 0);
    const first = Array.from({ length: 7 }, () => bucket.take(1, 0));
    assert.deepEqual(first, [true, true, true, true, true, false, false]);
    assert.equal(bucket.take(1, 100), true);
    assert.equal(bucket.take(1, 100), false);
  });

  it('frames are checked against the schema of their type', () => {
    assert.equal(parseClientFrame('{"type":"leave"}').ok, true);
    assert.deepEqual(parseClientFrame('{"type":"leave","x":1}'), { ok: false });
    assert.deepEqual(parseClientFrame('{"type":"app","id":"r1","epoch":-1,"data":""}'), {
      ok: false,
      ref: 'r1',
    });
    assert.deepEqual(parseClientFrame('[1]'), { ok: false });
  });

  it('a first frame is a hello or resume of this version; one of another version says so', () => {
    const v = DS_PROTOCOL_VERSION;
    assert.equal(parseFirstFrame(`{"type":"hello","v":${v},"token":"x"}`).ok, true);
    const outdated = { ok: false, reason: 'unsupported_version' };
    assert.deepEqual(parseFirstFrame('{"t":"hello","v":1,"token":"x"}'), outdated);
    assert.deepEqual(parseFirstFrame('{"t":"resume","v":1}'), outdated);
    assert.deepEqual(parseFirstFrame(`{"t":"hello","v":${v},"token":"x"}`), outdated);
    assert.deepEqual(parseFirstFrame(`{"type":"resume","v":${v + 1}}`), outdated);
    const broken = { ok: false, reason: 'expected_hello' };
    assert.deepEqual(parseFirstFrame(`{"type":"app","v":${v},"epoch":0,"data":""}`), broken);
    assert.deepEqual(parseFirstFrame(`{"type":"hello","v":${v}}`), broken);
    assert.deepEqual(parseFirstFrame('{"t":"app"}'), broken);
    assert.deepEqual(parseFirstFrame('hello'), broken);
  });
});
