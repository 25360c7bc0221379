/**
 * Trust boundary 3 (API and delivery service compromised). The server can mint join tokens and
 * inject anything into the delivery service, but it does not know the meeting password:
 * - a KeyPackage it forges (credential not bound by the password's credKey) is refused by the
 *   honest committer and its sender is closed;
 * - a commit adding a member without the meeting PSK (built on a group the server made up with
 *   the same group ID) is refused by every honest member, whether the DS delivers it or the
 *   server hands it to clients directly, and their state is unchanged;
 * - every group change the server can force (dropping a member, admitting one) shows on every
 *   client as a new epoch, a new group size and a new security code.
 * Members run packages/e2ee (real MLS, keys derived from a real password) over a real DS.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  acceptCommit,
  createJoiner,
  createMeetingCommit,
  createMeetingGroup,
  deriveMeetingSecrets,
  type MeetingKeys,
} from '@conclave/e2ee';
import { DS_PROTOCOL_VERSION } from '@conclave/protocol';
import type { JoinTokenSigner } from '@conclave/runtime';
import { DsTestClient } from '../../../services/mls-ds/src/testing/ds-client.ts';
import { E2eeEngine } from '../../../services/mls-ds/src/testing/engines.ts';
import {
  type Cluster,
  newSigner,
  startCluster,
  tokenFor,
} from '../../../services/mls-ds/src/testing/fixtures.ts';
import { SimMember } from '../../../services/mls-ds/src/testing/sim-member.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let signer: JoinTokenSigner;
let cluster: Cluster;
let url: string;

before(async () => {
  signer = newSigner();
  cluster = await startCluster(signer);
  url = `ws://127.0.0.1:${cluster.instances[0]!.port}/v1/ds`;
});
after(async () => {
  await cluster?.close();
});

/** A meeting whose keys come from a real password, and the keys of a server that lacks it. */
async function meetingKeys() {
  const meetingId = 'ABCDEFGH23';
  const honest = await deriveMeetingSecrets(meetingId, randomBytes(16).toString('base64url'));
  const server = await deriveMeetingSecrets(meetingId, randomBytes(16).toString('base64url'));
  const keys = (s: typeof honest): MeetingKeys => ({
    mlsPsk: s.mlsPsk,
    pskId: Buffer.from(s.pskId).toString('utf8'),
    credKey: s.credKey,
  });
  return { honest: keys(honest), server: keys(server) };
}

class Meeting {
  readonly grp = randomBytes(16).toString('base64url');
  readonly groupId = randomBytes(16);
  readonly members: SimMember[] = [];
  readonly keys: MeetingKeys;
  constructor(keys: MeetingKeys) {
    this.keys = keys;
  }

  engine(): E2eeEngine {
    return new E2eeEngine(
      {
        mlsPsk: Uint8Array.from(this.keys.mlsPsk),
        pskId: this.keys.pskId,
        credKey: Uint8Array.from(this.keys.credKey),
      },
      Uint8Array.from(this.groupId),
    );
  }

  async join(): Promise<SimMember> {
    const m = await SimMember.join(url, tokenFor(signer, this.grp), this.engine());
    this.members.push(m);
    return m;
  }

  async converged(members: SimMember[], size: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await Promise.all(members.map((m) => m.settled()));
      if (new Set(members.map((m) => m.epoch)).size === 1 && members.every((m) => m.engine.size === size))
        return;
      if (Date.now() > deadline) {
        assert.fail(
          `no convergence on ${size}: ${members.map((m) => `${m.epoch}/${m.engine.size}`).join(' ')}`,
        );
      }
      await sleep(25);
    }
  }
}

async function view(members: SimMember[]) {
  return Promise.all(
    members.map(async (m) => ({ epoch: m.epoch, size: m.engine.size, code: await m.engine.exporter() })),
  );
}

/** Every member sends one message and every other member reads it. */
async function chatWorks(members: SimMember[], tag: string): Promise<void> {
  for (const [i, m] of members.entries()) await m.sendText(`${tag}-${i}`);
  const deadline = Date.now() + 10_000;
  for (const [i, m] of members.entries()) {
    const expected = members.map((_, j) => `${tag}-${j}`).filter((_, j) => j !== i);
    while (!expected.every((text) => m.texts.includes(text))) {
      if (Date.now() > deadline) assert.fail(`member ${i} missed messages of ${tag}: ${m.texts.join(',')}`);
      await sleep(25);
    }
  }
}

describe('API + DS compromised: injected members are refused', () => {
  it('a KeyPackage forged by the server (no credKey) is refused by the honest committer', async () => {
    const { honest, server } = await meetingKeys();
    const meeting = new Meeting(honest);
    const a = await meeting.join();
    const b = await meeting.join();
    await meeting.converged([a, b], 2);
    const before = await view([a, b]);

    // The compromised API mints a token; the compromised DS side submits a KeyPackage made
    // without the password (its credential HMAC uses a key the server made up).
    const forger = await DsTestClient.connect(url);
    forger.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token: tokenFor(signer, meeting.grp) });
    const ready = await forger.next('ready');
    assert.equal(ready.create, false);
    const forged = await createJoiner(server);
    forger.send({ type: 'keyPackage', kp: b64(forged.keyPackageBytes) });
    await sleep(1500);
    await Promise.all([a.settled(), b.settled()]);
    const meanwhile = await view([a, b]);
    assert.deepEqual(
      meanwhile.map((v) => v.size),
      [2, 2],
      'nobody was added',
    );
    assert.deepEqual(meanwhile, before, 'no group change while only the forged KeyPackage waits');

    // A genuine joiner arrives: the committer adds it in a commit that refuses the forgery,
    // and the DS closes the forger.
    const c = await meeting.join();
    await meeting.converged([a, b, c], 3);
    const closed = await Promise.race([forger.closed, sleep(10_000).then(() => undefined)]);
    assert.equal(closed?.code, 4410, 'the forged joiner is refused and closed');
    assert.ok(!forger.received.some((m) => m.type === 'welcome'), 'no Welcome for the forger');
    const afterwards = await view([a, b, c]);
    assert.equal(new Set(afterwards.map((v) => v.code)).size, 1, 'one security code for the three');
    await chatWorks([a, b, c], 'after-forged-kp');
    const unexpected = [a, b, c]
      .flatMap((m) => m.errors.map(String))
      .filter((e) => !e.includes('no KeyPackage can be added'));
    assert.deepEqual(unexpected, []);
    c.leave();
    a.leave();
    b.leave();
  });

  it('a commit adding a member without the meeting PSK is refused by every honest member', async () => {
    const { honest, server } = await meetingKeys();
    const meeting = new Meeting(honest);
    const a = await meeting.join();
    const b = await meeting.join();
    const c = await meeting.join();
    await meeting.converged([a, b, c], 3);
    const before = await view([a, b, c]);
    const epoch = before[0]!.epoch;

    // The server builds a group with the same group ID on keys it made up, brings it to the
    // honest epoch and commits an Add of its own member there.
    let fake = await createMeetingGroup(await createJoiner(server), Uint8Array.from(meeting.groupId));
    while (Number(fake.state.groupContext.epoch) < epoch) {
      const p = await createMeetingCommit(fake, {
        add: [(await createJoiner(server)).keyPackageBytes],
        remove: [],
      });
      fake = acceptCommit(p);
    }
    const injected = await createMeetingCommit(fake, {
      add: [(await createJoiner(server)).keyPackageBytes],
      remove: [],
    });
    assert.equal(Number(fake.state.groupContext.epoch), epoch);

    // Handed to honest clients directly (a compromised DS can deliver any bytes): refused,
    // and the state they keep is the one they had.
    for (const m of [a, b, c]) {
      await m.settled();
      await assert.rejects(m.engine.receiveCommit(injected.commit), 'the injected commit is refused');
    }
    assert.deepEqual(await view([a, b, c]), before);

    // Through the DS, from a connection the server admitted with its own token: the DS itself
    // refuses a commit from a non-member; whatever it does, honest members neither accept it
    // nor lose their group.
    const forger = await DsTestClient.connect(url);
    forger.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token: tokenFor(signer, meeting.grp) });
    await forger.next('ready');
    forger.send({
      type: 'commit',
      epoch,
      commit: b64(injected.commit),
      ...(injected.welcome ? { welcome: b64(injected.welcome) } : {}),
      adds: [],
      removes: [],
    });
    const reply = await Promise.race([
      forger.next('error', () => true, 5000).catch(() => undefined),
      forger.closed.then(() => undefined),
    ]);
    assert.ok(reply, 'the DS answers the forged commit with an error');
    forger.close();

    await sleep(300);
    await Promise.all([a.settled(), b.settled(), c.settled()]);
    const afterwards = await view([a, b, c]);
    assert.deepEqual(afterwards, before, 'epoch, size and security code unchanged for everyone');
    await chatWorks([a, b, c], 'after-injected-commit');
    for (const m of [a, b, c]) m.leave();
  });

  it('every group change the server can force shows as a new epoch, size and security code', async () => {
    const { honest } = await meetingKeys();
    const meeting = new Meeting(honest);
    const a = await meeting.join();
    const b = await meeting.join();
    const c = await meeting.join();
    await meeting.converged([a, b, c], 3);
    const v3 = await view([a, b, c]);
    assert.equal(new Set(v3.map((v) => v.code)).size, 1, 'everyone sees one code');

    // The server drops C (cuts its connection and never lets it resume): after the grace
    // period a Remove is committed and the survivors see it.
    c.crash();
    await meeting.converged([a, b], 2);
    const v2 = await view([a, b]);
    for (const v of v2) {
      assert.ok(v.epoch > v3[0]!.epoch, 'epoch moved');
      assert.equal(v.size, 2, 'size dropped');
      assert.notEqual(v.code, v3[0]!.code, 'security code changed');
    }
    assert.equal(v2[0]!.code, v2[1]!.code);

    // The server admits someone (it can only route a KeyPackage that a password holder made).
    const d = await meeting.join();
    await meeting.converged([a, b, d], 3);
    const v4 = await view([a, b, d]);
    for (const v of v4) {
      assert.ok(v.epoch > v2[0]!.epoch);
      assert.equal(v.size, 3);
      assert.notEqual(v.code, v2[0]!.code);
    }
    assert.equal(new Set(v4.map((v) => v.code)).size, 1);
    await chatWorks([a, b, d], 'after-changes');
    for (const m of [a, b, d]) m.leave();
  });
});
