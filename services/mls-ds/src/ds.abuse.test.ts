import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DS_PROTOCOL_VERSION, DsCloseCode } from '@conclave/protocol';
import { DsTestClient } from './testing/ds-client.ts';
import { type Cluster, newSigner, randomId, startCluster, tokenFor } from './testing/fixtures.ts';
import { eventually, TestMeeting } from './testing/meeting.ts';

describe('hostile and broken clients (Redis, two instances)', () => {
  const signer = newSigner();
  let cluster: Cluster;
  let meeting: TestMeeting;
  const url = (i: number) => cluster.instances[i % 2]!.url;

  before(async () => {
    cluster = await startCluster(signer, {
      redis: true,
      count: 2,
      env: {
        DS_MAX_MESSAGE_BYTES: String(64 * 1024),
        DS_RATE_MESSAGES_PER_SECOND: '20',
        DS_RATE_MESSAGE_BURST: '40',
        DS_SLOW_CONSUMER_BYTES: String(256 * 1024),
      },
    });
    meeting = new TestMeeting(signer);
    for (let i = 0; i < 3; i++) await meeting.join(url(i));
    await meeting.converged(3);
  });
  after(() => cluster?.close());

  /** The meeting still works: a message from one member reaches the others. */
  async function groupStillWorks(): Promise<void> {
    const text = `still here ${randomId()}`;
    const [a, ...others] = meeting.active();
    await a!.sendText(text);
    await eventually(() => others.every((m) => m.texts.includes(text)), 5000, 'group message');
    assert.deepEqual(meeting.errors(), []);
  }

  it('a socket that never says hello is closed with auth_timeout', async () => {
    const c = await DsTestClient.connect(url(0));
    assert.equal((await c.closed).code, DsCloseCode.authTimeout);
  });

  it('a first frame that is not a hello is a protocol error', async () => {
    const c = await DsTestClient.connect(url(0));
    c.sendRaw('{"type":"app","epoch":0,"data":""}');
    assert.equal((await c.closed).code, DsCloseCode.protocolError);
  });

  it('a token from another key or an expired one is refused as unauthorized', async () => {
    const forged = await DsTestClient.connect(url(0));
    forged.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token: tokenFor(newSigner(), meeting.grp) });
    const closed = await forged.closed;
    assert.equal(closed.code, DsCloseCode.unauthorized);
    assert.equal(closed.reason, 'token_bad_signature');
    const expired = await DsTestClient.connect(url(1));
    const past = Math.floor(Date.now() / 1000) - 600;
    expired.send({
      type: 'hello',
      v: DS_PROTOCOL_VERSION,
      token: tokenFor(signer, meeting.grp, { iat: past, exp: past + 60 }),
    });
    assert.equal((await expired.closed).code, DsCloseCode.unauthorized);
    await groupStillWorks();
  });

  it('a token for another group reaches only that group', async () => {
    const other = new TestMeeting(signer, { real: false });
    const stranger = await other.join(url(0));
    assert.equal(stranger.epoch, 0, 'it created its own group');
    await stranger.sendText('not for you');
    // Resuming into our group with its member ID and a secret of its own group fails.
    const c = await DsTestClient.connect(url(1));
    const target = meeting.members[1]!;
    c.send({
      type: 'resume',
      v: DS_PROTOCOL_VERSION,
      member: target.member,
      secret: stranger.secret,
      seq: 0,
    });
    assert.equal((await c.closed).code, DsCloseCode.resumeUnavailable);
    await groupStillWorks();
    assert.ok(meeting.members.every((m) => !m.texts.includes('not for you')));
    stranger.leave();
  });

  it('malformed frames, wrong epochs and stale commits get typed errors and change nothing', async () => {
    const m = meeting.members[1]!;
    m.client.sendRaw('not json');
    m.client.sendRaw(Buffer.from([1, 2, 3]));
    m.client.send({ type: 'app', id: 'x1', epoch: 0, data: '!!not base64!!' });
    m.client.send({ type: 'nonsense' });
    m.client.send({ type: 'app', id: 'e1', epoch: m.epoch + 5, data: 'AAAA' });
    m.client.send({ type: 'commit', id: 'c1', epoch: m.epoch - 1, commit: 'AAAA', adds: [], removes: [] });
    m.client.send({ type: 'keyPackage', id: 'k1', kp: 'AAAA' });
    m.client.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token: 'cjt1.a.b' });
    const wrong = await m.client.next('error', (e) => e.ref === 'e1');
    assert.equal(wrong.code, 'wrong_epoch');
    assert.equal(wrong.epoch, m.epoch);
    const stale = await m.client.next('error', (e) => e.ref === 'c1');
    assert.deepEqual([stale.code, stale.epoch], ['stale_epoch', m.epoch]);
    assert.equal((await m.client.next('error', (e) => e.ref === 'x1')).code, 'malformed_message');
    assert.equal((await m.client.next('error', (e) => e.ref === 'k1')).code, 'not_pending');
    await eventually(
      () =>
        m.dsErrors.filter((c) => c === 'malformed_message').length >= 4 &&
        m.dsErrors.includes('unexpected_hello'),
      5000,
      'typed errors',
    );
    await groupStillWorks();
  });

  it('an oversized message closes that connection with 1009 and the group goes on', async () => {
    const extra = await meeting.join(url(0));
    await meeting.converged(4);
    extra.client.send({ type: 'app', epoch: extra.epoch, data: 'A'.repeat(80 * 1024) });
    assert.equal((await extra.client.closed).code, DsCloseCode.messageTooBig);
    meeting.gone.add(extra);
    await meeting.converged(3, 15_000);
    await groupStillWorks();
  });

  it('a flooding member gets rate_limited errors and is then closed, others are unaffected', async () => {
    const flooder = await meeting.join(url(1));
    await meeting.converged(4);
    for (let i = 0; i < 400; i++) flooder.client.send({ type: 'app', epoch: flooder.epoch, data: 'AAAA' });
    const closed = await flooder.client.closed;
    assert.equal(closed.code, DsCloseCode.rateLimited);
    assert.ok(flooder.dsErrors.includes('rate_limited'));
    meeting.gone.add(flooder);
    // Junk accepted before the close may still be on its way: wait until the others' error
    // counts stop moving (bounded) before checking them.
    const errorCount = () => meeting.active().reduce((n, m) => n + m.errors.length, 0);
    for (let last = -1, deadline = Date.now() + 5000; errorCount() !== last && Date.now() < deadline; ) {
      last = errorCount();
      await new Promise((r) => setTimeout(r, 300));
    }
    // The DS relays ciphertext it cannot read: the others' MLS refuses the junk that got through.
    for (const m of meeting.active()) {
      assert.ok(m.errors.every((e) => String(e).includes('does not decode')));
      m.errors.length = 0;
    }
    await meeting.converged(3, 15_000);
    await groupStillWorks();
  });

  for (const redis of [false, true]) {
    it(`a member that stops reading is dropped as a slow consumer without stalling the group (${redis ? 'Redis' : 'in-process state'})`, async () => {
      const own = await startCluster(signer, {
        redis,
        // With Redis: the sender on one instance, the reader and the stuck member on the other.
        count: redis ? 2 : 1,
        env: {
          // Far above one message, so a reader that is merely slow on a busy machine is not dropped.
          DS_SLOW_CONSUMER_BYTES: String(6 * 1024 * 1024),
          DS_MAX_MESSAGE_BYTES: String(2 * 1024 * 1024),
          DS_RATE_BYTES_PER_SECOND: String(200 * 1024 * 1024),
        },
      });
      try {
        const small = new TestMeeting(signer, { real: false });
        const far = own.instances[own.instances.length - 1]!.url;
        const sender = await small.join(own.instances[0]!.url);
        const reader = await small.join(far);
        const slow = await small.join(far);
        await small.converged(3);
        (slow.client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
        // 96 × 256 KB = 24 MB: more than the threshold plus what loopback socket buffers absorb.
        const blob = 'x'.repeat(256_000);
        for (let i = 0; i < 96; i++) await sender.sendText(`${i} ${blob}`);
        // Generous: 24 MB through Redis on a busy 2-core machine can take a while; this asserts behaviour, not speed.
        await eventually(
          () => reader.texts.some((t) => t.startsWith('95 ')),
          60_000,
          'fan-out to the reader',
        );
        assert.deepEqual(
          reader.texts.map((t) => t.split(' ')[0]),
          Array.from({ length: 96 }, (_, i) => String(i)),
        );
        (slow.client.socket as unknown as { _socket: { resume(): void } })._socket.resume();
        const closed = await Promise.race([
          slow.client.closed,
          new Promise((r) => setTimeout(r, 30_000, null)),
        ]);
        // Dropped either way: the DS sends 4503, but a close frame queued behind megabytes the
        // peer never read can be cut off when the DS gives up on the handshake (1006).
        assert.ok(closed, 'the slow member is dropped');
        assert.ok(
          [DsCloseCode.slowConsumer, 1006].includes((closed as { code: number }).code),
          `closed with ${(closed as { code: number }).code}`,
        );
        // It may come back and catch up from the replay buffer, or be removed after the grace.
        small.gone.add(slow);
        for (const m of small.active()) m.leave();
      } finally {
        await own.close();
      }
    });
  }
});
