/** What the stage and filmstrip show: speaker view, pins, screens, and a stage that does not flicker. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type StageInput,
  STAGE_HOLD_MS,
  StageLayout,
  STRIP_PEOPLE,
} from '../src/app/views/meeting/stage-layout.ts';

const people = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

const input = (over: Partial<StageInput> = {}): StageInput => ({
  choice: 'speaker',
  people: people(4),
  pinned: new Set(),
  screens: [],
  room: 8,
  now: 0,
  ...over,
});

describe('stage layout', () => {
  it('the gallery without a screen is left to the pages', () => {
    assert.equal(new StageLayout().arrange(input({ choice: 'gallery' })), undefined);
  });

  it('speaker view: before anyone speaks, the first person on the stage and the others small, own tile last', () => {
    assert.deepEqual(new StageLayout().arrange(input()), {
      stage: 'peer:p0',
      strip: ['peer:p1', 'peer:p2', 'peer:p3', 'self'],
    });
  });

  it('alone, this person’s own tile is the stage and the filmstrip is empty', () => {
    assert.deepEqual(new StageLayout().arrange(input({ people: [] })), { stage: 'self', strip: [] });
  });

  it('the most recent speaker takes the stage; the one before goes back to the filmstrip', () => {
    const s = new StageLayout();
    s.spoke('p2');
    assert.deepEqual(s.arrange(input({ now: 1000 })), {
      stage: 'peer:p2',
      strip: ['peer:p0', 'peer:p1', 'peer:p3', 'self'],
    });
    s.spoke('p3');
    assert.equal(s.arrange(input({ now: 1000 + STAGE_HOLD_MS }))!.stage, 'peer:p3');
  });

  it('the stage changes speaker at most once per hold time', () => {
    const s = new StageLayout();
    s.spoke('p1');
    assert.equal(s.arrange(input({ now: 0 }))!.stage, 'peer:p1');
    s.spoke('p2');
    assert.equal(s.arrange(input({ now: 500 }))!.stage, 'peer:p1', 'too soon: the stage holds');
    s.spoke('p3');
    assert.equal(s.arrange(input({ now: STAGE_HOLD_MS - 1 }))!.stage, 'peer:p1');
    assert.equal(s.arrange(input({ now: STAGE_HOLD_MS }))!.stage, 'peer:p3', 'then the latest speaker');
    s.spoke('p1');
    assert.equal(s.arrange(input({ now: STAGE_HOLD_MS + 100 }))!.stage, 'peer:p3');
  });

  it('a speaker who leaves is replaced at once', () => {
    const s = new StageLayout();
    s.spoke('p1');
    s.arrange(input({ now: 0 }));
    s.spoke('p2');
    s.arrange(input({ now: 100 }));
    const left = s.arrange(input({ people: ['p0', 'p2', 'p3'], now: 200 }))!;
    assert.equal(left.stage, 'peer:p2');
  });

  it('a pinned person holds the stage whoever speaks, and other pins lead the filmstrip', () => {
    const s = new StageLayout();
    s.spoke('p1');
    const pinned = new Set(['p3', 'p2']);
    const a = s.arrange(input({ people: ['p2', 'p3', 'p0', 'p1'], pinned, room: 3, now: 0 }))!;
    assert.deepEqual(a, { stage: 'peer:p2', strip: ['peer:p3', 'peer:p1', 'self'] });
  });

  it('the filmstrip holds at most the room given and STRIP_PEOPLE, recent speakers chosen first, shown in order', () => {
    const s = new StageLayout();
    const many = people(12);
    s.spoke('p9');
    s.spoke('p7');
    s.spoke('p4');
    const a = s.arrange(input({ people: many, room: 3 }))!;
    assert.deepEqual(a, { stage: 'peer:p4', strip: ['peer:p7', 'peer:p9', 'self'] });
    const wide = s.arrange(input({ people: many, room: 24 }))!;
    assert.equal(wide.strip.length, STRIP_PEOPLE + 1, 'five people and this person');
    assert.deepEqual(wide.strip, ['peer:p0', 'peer:p1', 'peer:p2', 'peer:p7', 'peer:p9', 'self']);
  });

  it('a shared screen takes the stage in either choice; people go to the filmstrip', () => {
    for (const choice of ['gallery', 'speaker'] as const) {
      const s = new StageLayout();
      s.spoke('p2');
      const a = s.arrange(input({ choice, screens: ['screen:p1'], room: 3 }))!;
      assert.deepEqual(a, { stage: 'screen:p1', strip: ['peer:p0', 'peer:p1', 'peer:p2', 'self'] });
    }
  });

  it('two screens: the most recent on the stage, the other first in the filmstrip; the choice returns when sharing stops', () => {
    const s = new StageLayout();
    s.arrange(input({ choice: 'gallery', screens: ['screen:p1'], room: 2 }));
    const two = s.arrange(input({ choice: 'gallery', screens: ['screen:p1', 'screen:p3'], room: 2 }))!;
    assert.deepEqual(two, { stage: 'screen:p3', strip: ['screen:p1', 'peer:p0', 'peer:p1', 'self'] });
    const again = s.arrange(input({ choice: 'gallery', screens: ['screen:p3', 'screen:p1'], room: 2 }))!;
    assert.equal(
      again.stage,
      'screen:p3',
      'the order they are listed in does not matter, when they started does',
    );
    const one = s.arrange(input({ choice: 'gallery', screens: ['screen:p1'], room: 2 }))!;
    assert.equal(one.stage, 'screen:p1');
    assert.equal(s.arrange(input({ choice: 'gallery', screens: [] })), undefined);
  });

  it('this person’s own screen gives the stage to another’s', () => {
    const s = new StageLayout();
    s.arrange(input({ screens: ['screen:p0'] }));
    const a = s.arrange(input({ screens: ['screen:p0', 'screen:self'] }))!;
    assert.equal(a.stage, 'screen:p0');
    assert.equal(a.strip[0], 'screen:self');
    assert.equal(s.arrange(input({ screens: ['screen:self'] }))!.stage, 'screen:self');
  });
});
