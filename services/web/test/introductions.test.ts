/** Whom a member introduces itself to after an epoch (no browser). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { introductionAudience } from '../src/app/meeting/introductions.ts';

const members = new Map([
  [3, 'member-three'],
  [4, 'member-four'],
]);
const memberAt = (leaf: number) => members.get(leaf);

describe('introductions', () => {
  it('go to everyone on a first epoch, whoever it added', () => {
    assert.deepEqual(introductionAudience(true, [], memberAt), { to: undefined });
    assert.deepEqual(introductionAudience(true, [3], memberAt), { to: undefined });
  });

  it('go to the newcomers alone on a later epoch that adds people', () => {
    assert.deepEqual(introductionAudience(false, [3, 4], memberAt), { to: ['member-three', 'member-four'] });
  });

  it('go to everyone when the DS has not said who a newcomer is', () => {
    assert.deepEqual(introductionAudience(false, [3, 9], memberAt), { to: undefined });
  });

  it('go nowhere on an epoch that adds no one', () => {
    assert.equal(introductionAudience(false, [], memberAt), undefined);
  });
});
