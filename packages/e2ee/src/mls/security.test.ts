import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCommit, generateKeyPackageWithKey, type KeyPackage, type Proposal } from 'ts-mls';
import { acceptCommit, commitAdd, commitUpdate } from './commit.ts';
import { MEETING_CAPABILITIES, pskIndexFor } from './config.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import { isMlsGroupError } from './errors.ts';
import { joinFromWelcome, type MeetingGroup } from './group.ts';
import { createJoiner } from './keyPackage.ts';
import { receiveMessage } from './receive.ts';
import { meetingKeys, TestMeeting } from './test-support.ts';
import { encodeKeyPackageMessage, encodePrivateMessage } from './wire.ts';

async function meetingOf(n: number, seed: number): Promise<TestMeeting> {
  const meeting = await TestMeeting.start(meetingKeys(seed));
  const js = await Promise.all(
    Array.from({ length: n - 1 }, async (_, i) => [`m${i + 1}`, await createJoiner(meeting.keys)] as const),
  );
  await meeting.deliver(
    'm0',
    await commitAdd(
      meeting.get('m0'),
      js.map(([, j]) => j.keyPackageBytes),
    ),
    js.map(([n, j]) => [n, j]),
  );
  return meeting;
}

/** A KeyPackage whose credential is not bound to the password (what a server could forge). */
async function forgedKeyPackage(): Promise<KeyPackage> {
  const cs = await getSuite();
  const kp = await cs.signature.keygen();
  const identity = crypto.getRandomValues(new Uint8Array(48));
  const { publicPackage } = await generateKeyPackageWithKey(
    { credentialType: 'basic', identity },
    MEETING_CAPABILITIES,
    { notBefore: 0n, notAfter: 2n ** 63n - 1n },
    [],
    kp,
    cs,
  );
  return publicPackage;
}

/** A member's commit built with ts-mls directly, bypassing the meeting rules of commit.ts. */
async function rawCommit(group: MeetingGroup, proposals: Proposal[], acceptAnyCredential = false) {
  const cs = await getSuite();
  const state = acceptAnyCredential
    ? {
        ...group.state,
        clientConfig: {
          ...group.state.clientConfig,
          authService: { validateCredential: async () => true },
        },
      }
    : group.state;
  const r = await createCommit(
    { state, cipherSuite: cs, pskIndex: pskIndexFor(group.keys, state) },
    { extraProposals: proposals, ratchetTreeExtension: true },
  );
  assert.equal(r.commit.wireformat, 'mls_private_message');
  return r.commit.wireformat === 'mls_private_message'
    ? encodePrivateMessage(r.commit.privateMessage)
    : new Uint8Array();
}

const meetingPsk = (group: MeetingGroup): Proposal => ({
  proposalType: 'psk',
  psk: {
    preSharedKeyId: { psktype: 'external', pskId: group.keys.pskId, pskNonce: new Uint8Array(32).fill(5) },
  },
});

describe('MLS meeting security rules', () => {
  it('puts the meeting PSK into every commit that adds members', async () => {
    const meeting = await meetingOf(2, 11);
    const joiner = await createJoiner(meeting.keys);
    const pending = await commitAdd(meeting.get('m0'), [joiner.keyPackageBytes]);
    const m1 = meeting.get('m1');
    // A member holding a different PSK value derives a different epoch: the commit fails for it.
    const wrongPsk = { ...m1, keys: { ...m1.keys, mlsPsk: new Uint8Array(32).fill(0xee) } };
    await assert.rejects(receiveMessage(wrongPsk, pending.commit), (e) =>
      isMlsGroupError(e, 'commit-rejected'),
    );
    const r = await receiveMessage(m1, pending.commit);
    assert.equal(r.kind, 'commit');
    // A commit without Adds needs no PSK.
    const update = await commitUpdate(acceptCommit(pending));
    const r2 = await receiveMessage(
      { ...r.group, keys: { ...r.group.keys, mlsPsk: new Uint8Array(32) } },
      update.commit,
    );
    assert.equal(r2.kind, 'commit');
  });

  it('keeps a client without the password out: with a wrong PSK the Welcome cannot be processed', async () => {
    const meeting = await meetingOf(2, 12);
    const joiner = await createJoiner(meeting.keys);
    const pending = await commitAdd(meeting.get('m0'), [joiner.keyPackageBytes]);
    const withoutPassword = {
      ...joiner,
      keys: { ...joiner.keys, mlsPsk: new Uint8Array(32).fill(0xee) },
    };
    await assert.rejects(joinFromWelcome(withoutPassword, pending.welcome!), (e) =>
      isMlsGroupError(e, 'welcome-rejected'),
    );
    // The right PSK opens the same Welcome.
    const g = await joinFromWelcome(joiner, pending.welcome!);
    assert.equal(g.state.groupContext.epoch, 2n);
  });

  it('has every honest member reject a commit that adds someone without the meeting PSK', async () => {
    const meeting = await meetingOf(4, 13);
    const joiner = await createJoiner(meeting.keys);
    const bad = await rawCommit(meeting.get('m1'), [
      { proposalType: 'add', add: { keyPackage: joiner.keyPackage } },
    ]);
    for (const name of ['m0', 'm2', 'm3']) {
      await assert.rejects(receiveMessage(meeting.get(name), bad), (e) => {
        assert.ok(isMlsGroupError(e, 'commit-rejected'));
        assert.match(e.message, /PSK/);
        return true;
      });
    }
    // The rejection left their states intact: a valid commit still goes through.
    await meeting.deliver('m2', await commitAdd(meeting.get('m2'), [joiner.keyPackageBytes]), [
      ['j', joiner],
    ]);
    await meeting.assertInSync();
  });

  it('rejects a commit with a PSK other than the meeting PSK', async () => {
    const meeting = await meetingOf(3, 14);
    const joiner = await createJoiner(meeting.keys);
    const foreignPsk: Proposal = {
      proposalType: 'psk',
      psk: {
        preSharedKeyId: { psktype: 'external', pskId: new Uint8Array([1]), pskNonce: new Uint8Array(32) },
      },
    };
    const cs = await getSuite();
    const g = meeting.get('m1');
    const r = await createCommit(
      {
        state: g.state,
        cipherSuite: cs,
        pskIndex: { findPsk: (id) => (id.psktype === 'external' ? new Uint8Array(32) : undefined) },
      },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: joiner.keyPackage } }, foreignPsk] },
    );
    const bytes =
      r.commit.wireformat === 'mls_private_message' ? encodePrivateMessage(r.commit.privateMessage) : null;
    assert.ok(bytes);
    await assert.rejects(receiveMessage(meeting.get('m2'), bytes), (e) =>
      isMlsGroupError(e, 'commit-rejected'),
    );
  });

  it('refuses a forged-credential KeyPackage at the committer and still adds the genuine ones', async () => {
    const meeting = await meetingOf(2, 15);
    const genuine = await createJoiner(meeting.keys);
    const forged = encodeKeyPackageMessage(await forgedKeyPackage());
    const pending = await commitAdd(meeting.get('m0'), [forged, genuine.keyPackageBytes]);
    assert.deepEqual(
      pending.refused.map((r) => [r.index, r.code]),
      [[0, 'credential-invalid']],
    );
    assert.deepEqual(pending.addedFrom, [1]);
    await meeting.deliver('m0', pending, [['g', genuine]]);
    await meeting.assertInSync();
    await assert.rejects(commitAdd(meeting.get('g'), [forged]), (e) =>
      isMlsGroupError(e, 'credential-invalid'),
    );
  });

  it('refuses a KeyPackage made with another meeting password', async () => {
    const meeting = await meetingOf(2, 16);
    const other = await createJoiner(meetingKeys(99));
    await assert.rejects(commitAdd(meeting.get('m1'), [other.keyPackageBytes]), (e) =>
      isMlsGroupError(e, 'credential-invalid'),
    );
  });

  it('has every honest member reject a commit that adds a forged credential, even with the PSK', async () => {
    const meeting = await meetingOf(3, 17);
    const forged = await forgedKeyPackage();
    const bad = await rawCommit(
      meeting.get('m0'),
      [{ proposalType: 'add', add: { keyPackage: forged } }, meetingPsk(meeting.get('m0'))],
      true,
    );
    for (const name of ['m1', 'm2']) {
      await assert.rejects(receiveMessage(meeting.get(name), bad), (e) => {
        assert.ok(isMlsGroupError(e, 'commit-rejected'));
        assert.match(e.message, /credential/i);
        return true;
      });
    }
  });

  it('rejects commits carrying proposal types meetings never use', async () => {
    const meeting = await meetingOf(3, 18);
    const bad = await rawCommit(meeting.get('m0'), [
      { proposalType: 'group_context_extensions', groupContextExtensions: { extensions: [] } },
    ]);
    await assert.rejects(receiveMessage(meeting.get('m1'), bad), (e) => {
      assert.ok(isMlsGroupError(e, 'commit-rejected'));
      assert.match(e.message, /not used/);
      return true;
    });
  });
});
