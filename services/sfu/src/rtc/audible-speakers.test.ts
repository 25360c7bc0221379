import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AudibleSpeakers } from './audible-speakers.ts';

const heard = (a: AudibleSpeakers, ids: string[]) => ids.filter((id) => a.audible(id));

describe('audible speakers', () => {
  test('up to the limit every microphone is forwarded, loud or not', () => {
    const a = new AudibleSpeakers(3);
    assert.deepEqual(a.add('m1'), { audible: ['m1'], inaudible: [] });
    a.add('m2');
    a.add('m3');
    assert.deepEqual(heard(a, ['m1', 'm2', 'm3']), ['m1', 'm2', 'm3']);
    assert.deepEqual(a.loud([], 1), { audible: [], inaudible: [] }, 'silence changes nothing');
  });

  test('past the limit, a newcomer is not forwarded until it is loud', () => {
    const a = new AudibleSpeakers(2);
    a.add('m1');
    a.add('m2');
    assert.deepEqual(a.add('m3'), { audible: [], inaudible: [] }, 'those already heard keep their place');
    assert.equal(a.audible('m3'), false);
    assert.deepEqual(a.loud(['m3'], 10), { audible: ['m3'], inaudible: ['m2'] });
    assert.deepEqual(heard(a, ['m1', 'm2', 'm3']), ['m1', 'm3']);
  });

  test('a new speaker takes the place of whoever was loud longest ago', () => {
    const a = new AudibleSpeakers(2);
    for (const id of ['m1', 'm2', 'm3', 'm4']) a.add(id);
    a.loud(['m1'], 1);
    a.loud(['m2'], 2);
    a.loud(['m1'], 3);
    assert.deepEqual(a.loud(['m4'], 4), { audible: ['m4'], inaudible: ['m2'] });
    assert.deepEqual(a.loud(['m1', 'm4'], 5), { audible: [], inaudible: [] }, 'the loud ones stay');
    assert.deepEqual(a.loud(['m3', 'm2'], 6), { audible: ['m2', 'm3'], inaudible: ['m1', 'm4'] });
  });

  test('a microphone gone leaves its place to the next most recent', () => {
    const a = new AudibleSpeakers(2);
    for (const id of ['m1', 'm2', 'm3']) a.add(id);
    a.loud(['m3'], 1);
    a.loud(['m1'], 2);
    assert.deepEqual(heard(a, ['m1', 'm2', 'm3']), ['m1', 'm3']);
    assert.deepEqual(a.remove('m1'), { audible: ['m2'], inaudible: [] }, 'back under the limit: everyone');
    assert.deepEqual(
      a.loud(['unknown'], 3),
      { audible: [], inaudible: [] },
      'a producer not added is ignored',
    );
  });
});
