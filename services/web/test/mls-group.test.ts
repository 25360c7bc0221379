/**
 * The group behind `MlsGroupHost`, as the MLS worker runs it (`InPageGroup`), driven through the
 * interface alone: joins by KeyPackage and Welcome, commits accepted or received, application
 * messages both ways, a rotation, a Remove, and a commit request whose KeyPackages are all refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeetingKeys } from '@conclave/e2ee';
import { AllRefusedError, type GroupEpoch, InPageGroup } from '../src/app/mls-group.ts';

const keys = (seed: number): MeetingKeys => ({
  mlsPsk: new Uint8Array(32).fill(seed),
  pskId: `conclave/v1/psk/MEETING${seed}`,
  credKey: new Uint8Array(32).fill(seed + 100),
});

const same = (a: GroupEpoch, b: GroupEpoch) => {
  assert.equal(a.epoch, b.epoch);
  assert.equal(a.securityCode, b.securityCode);
  assert.deepEqual(a.baseKey, b.baseKey);
  assert.deepEqual(a.members, b.members);
};

describe('the MLS group behind its host interface', () => {
  it('joins, commits, carries messages, rotates and removes, with every member in step', async () => {
    const ada = new InPageGroup(keys(1));
    const bo = new InPageGroup(keys(1));
    const cy = new InPageGroup(keys(1));
    const first = await ada.create();
    assert.equal(first.size, 1);

    // Bo and Cy join in one commit of Ada's, which the DS accepts.
    const made = await ada.commit({ add: [await bo.keyPackage(), await cy.keyPackage()] });
    assert.deepEqual(made.addedFrom, [0, 1]);
    assert.ok(made.welcome);
    const atAda = await ada.accept(made.ref);
    assert.equal(atAda.size, 3);
    same(await bo.join(made.welcome), atAda);
    same(await cy.join(made.welcome), atAda);

    // A message from Bo reaches the others, authenticated as Bo's leaf.
    const sent = await bo.send('chat', new TextEncoder().encode('hello'));
    assert.equal(sent.epoch, atAda.epoch);
    for (const reader of [ada, cy]) {
      const r = await reader.receive(sent.message);
      assert.equal(r.kind, 'application');
      if (r.kind !== 'application') return;
      assert.equal(r.sender, made.added[0]);
      assert.equal(new TextDecoder().decode(r.message.body), 'hello');
    }

    // Cy rotates; the others process the commit into the same new epoch.
    const rotation = await cy.commit({});
    const atCy = await cy.accept(rotation.ref);
    assert.equal(atCy.epoch, atAda.epoch + 1n);
    for (const other of [ada, bo]) {
      const r = await other.receive(rotation.commit);
      assert.equal(r.kind, 'commit');
      if (r.kind === 'commit') same(r.epoch, atCy);
    }

    // Ada removes Bo: Bo learns it, Cy follows.
    const remove = await ada.commit({ remove: [made.added[0]!] });
    const afterRemove = await ada.accept(remove.ref);
    assert.equal(afterRemove.size, 2);
    assert.deepEqual(await bo.receive(remove.commit), { kind: 'removed' });
    const atCyAgain = await cy.receive(remove.commit);
    assert.equal(atCyAgain.kind, 'commit');
    if (atCyAgain.kind === 'commit') {
      same(atCyAgain.epoch, afterRemove);
      assert.deepEqual(atCyAgain.removed, [made.added[0]]);
    }
  });

  it('refuses every KeyPackage made with another meeting password, naming them', async () => {
    const ada = new InPageGroup(keys(1));
    await ada.create();
    const stranger = new InPageGroup(keys(2));
    await assert.rejects(
      ada.commit({ add: [await stranger.keyPackage()] }),
      (e: unknown) => e instanceof AllRefusedError && e.refused.length === 1 && e.refused[0] === 0,
    );
  });

  it('accepts only a commit it made, and forgets dropped ones', async () => {
    const ada = new InPageGroup(keys(1));
    await ada.create();
    const bo = new InPageGroup(keys(1));
    const made = await ada.commit({ add: [await bo.keyPackage()] });
    await ada.dropCommits([made.ref]);
    await assert.rejects(ada.accept(made.ref), /no commit/);
    await assert.rejects(bo.receive(made.commit), /not in the group/);
  });
});
