import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayWindow } from './replay-window.ts';

describe('replay window', () => {
  it('accepts increasing counters and refuses repeats', () => {
    const w = new ReplayWindow(8);
    assert.ok(w.record(0n));
    assert.ok(w.record(1n));
    assert.ok(!w.check(1n));
    assert.ok(!w.record(0n));
  });

  it('accepts reordered counters within the window once', () => {
    const w = new ReplayWindow(8);
    assert.ok(w.record(10n));
    assert.ok(w.record(5n));
    assert.ok(!w.record(5n));
    assert.ok(w.record(3n));
    assert.ok(!w.check(2n), 'offset 8 is outside a window of 8');
  });

  it('forgets history after a large jump but still refuses old counters', () => {
    const w = new ReplayWindow(8);
    w.record(1n);
    assert.ok(w.record(1000n));
    assert.ok(!w.check(1n));
    assert.ok(w.check(999n));
  });

  it('handles counters near 2^64', () => {
    const w = new ReplayWindow(16);
    const top = (1n << 64n) - 1n;
    assert.ok(w.record(top - 1n));
    assert.ok(w.record(top));
    assert.ok(!w.record(top - 1n));
  });
});
