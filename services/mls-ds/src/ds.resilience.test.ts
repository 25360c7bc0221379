import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DsCloseCode } from '@conclave/protocol';
import { DsTestClient } from './testing/ds-client.ts';
import { type Cluster, newSigner, startCluster } from './testing/fixtures.ts';
import { eventually, TestMeeting } from './testing/meeting.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('bursts: back-pressure instead of refusal (Redis, two instances)', () => {
  const signer = newSigner();
  let cluster: Cluster;
  const url = (i: number) => cluster.instances[i % 2]!.url;

  before(async () => {
    cluster = await startCluster(signer, {
      redis: true,
      count: 2,
      // The rate limit allows the burst; what is tested is that nothing is refused for
      // arriving faster than the store takes it.
      env: { DS_RATE_MESSAGES_PER_SECOND: '50', DS_RATE_MESSAGE_BURST: '400' },
    });
  });
  after(() => cluster?.close());

  it('300 messages sent back-to-back reach every other member, all of them, in order', async () => {
    const meeting = new TestMeeting(signer);
    const sender = await meeting.join(url(0));
    const readers = [await meeting.join(url(0)), await meeting.join(url(1)), await meeting.join(url(1))];
    await meeting.converged(4);
    const texts = Array.from({ length: 300 }, (_, i) => `burst ${i}`);
    await sender.sendBurst(texts);
    await eventually(
      () => readers.every((r) => r.texts.length >= texts.length),
      60_000,
      'every message at every reader',
    ).catch((e) => {
      throw new Error(
        `${e}: got ${readers.map((r) => r.texts.length).join(', ')}; ${sender.dsErrors.join(',')}`,
      );
    });
    for (const r of readers) assert.deepEqual(r.texts, texts);
    assert.deepEqual(sender.dsErrors, [], 'nothing was refused');
    assert.deepEqual(meeting.errors(), []);
    for (const m of meeting.active()) m.leave();
  });
});

describe('committer refusing every KeyPackage (embedded)', () => {
  const signer = newSigner();
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(signer, { count: 1 });
  });
  after(() => cluster?.close());

  it('sends reject, so the joiner with a forged KeyPackage is closed with 4410 at once', async () => {
    const url = cluster.instances[0]!.url;
    const meeting = new TestMeeting(signer);
    await meeting.join(url);
    await meeting.join(url);
    await meeting.converged(2);
    // A valid token for the meeting, but MLS keys from another meeting link (another password).
    const forged = await new TestMeeting(signer).engine().keyPackage();
    const forger = await DsTestClient.connect(url);
    forger.send({ t: 'hello', v: 1, token: meeting.token() });
    await forger.next('ready');
    const sentAt = Date.now();
    forger.send({ t: 'key_package', kp: b64(forged) });
    const closed = await forger.closed;
    assert.equal(closed.code, DsCloseCode.removed);
    // Well inside one commit deadline: the first committer asked refused it, nobody timed out.
    assert.ok(Date.now() - sentAt < 1500, `closed after ${Date.now() - sentAt} ms`);
    assert.deepEqual(meeting.errors(), []);
    // The group is unchanged and still takes joiners.
    const before = meeting.members[0]!.epoch;
    await meeting.join(url);
    await meeting.converged(3);
    assert.equal(meeting.members[0]!.epoch, before + 1);
    assert.deepEqual(meeting.errors(), []);
    for (const m of meeting.active()) m.leave();
  });
});
