/** The level meter's arithmetic: needs no browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEVEL_FLOOR_DB, levelOf, nextShown } from '../src/app/audio-level.ts';

const tone = (amplitude: number) =>
  Float32Array.from({ length: 1024 }, (_, i) => amplitude * Math.sin((2 * Math.PI * i) / 64));

describe('the microphone level', () => {
  it('reads 0 for silence and below the floor, 1 at full scale', () => {
    assert.equal(levelOf(new Float32Array(1024)), 0);
    assert.equal(levelOf(new Float32Array(0)), 0);
    assert.equal(levelOf(Float32Array.from({ length: 1024 }, () => 10 ** ((LEVEL_FLOOR_DB - 1) / 20))), 0);
    assert.equal(levelOf(Float32Array.from({ length: 1024 }, (_, i) => (i % 2 ? 1 : -1))), 1);
  });

  it('rises with loudness, in dB: ten times the amplitude is a third of the scale more', () => {
    const quiet = levelOf(tone(0.01));
    const loud = levelOf(tone(0.1));
    assert.ok(quiet > 0 && loud > quiet);
    assert.ok(Math.abs(loud - quiet - 20 / -LEVEL_FLOOR_DB) < 1e-9);
  });

  it('shows a louder sound at once and lets a quieter one fall back slowly', () => {
    assert.equal(nextShown(0.2, 0.9), 0.9);
    const after = nextShown(0.9, 0);
    assert.ok(after > 0.5 && after < 0.9);
  });
});
