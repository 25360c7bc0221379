/** Which camera the switch goes to: needs no browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextCamera } from '../src/app/meeting/camera-choice.ts';

describe('the camera switch', () => {
  it('goes front → back → front, and through every camera when there are more', () => {
    assert.equal(nextCamera(['front', 'back'], 'front'), 'back');
    assert.equal(nextCamera(['front', 'back'], 'back'), 'front');
    assert.equal(nextCamera(['a', 'b', 'c'], 'b'), 'c');
    assert.equal(nextCamera(['a', 'b', 'c'], 'c'), 'a');
  });

  it('starts from the first camera when the current one is unknown', () => {
    assert.equal(nextCamera(['front', 'back'], undefined), 'front');
    assert.equal(nextCamera(['front', 'back'], 'unplugged'), 'front');
  });

  it('offers nothing with one camera or none', () => {
    assert.equal(nextCamera(['front'], 'front'), undefined);
    assert.equal(nextCamera([], undefined), undefined);
  });
});
