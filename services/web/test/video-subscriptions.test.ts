/** The SFU forwards video only for tiles on screen, at the layer that fits each tile. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layerFor, VideoSubscriptions } from '../src/app/meeting/video-subscriptions.ts';

/** Requests as the SFU sees them; each answers when `answer` is called (or at once). */
function sfu(options: { hold?: boolean; fail?: string } = {}) {
  const sent: string[] = [];
  const held: (() => void)[] = [];
  const request = (line: string) => {
    sent.push(line);
    if (options.fail && line.endsWith(options.fail)) return Promise.reject(new Error('consumer_not_found'));
    if (!options.hold) return Promise.resolve();
    return new Promise<void>((resolve) => held.push(resolve));
  };
  const subs = new VideoSubscriptions({
    pause: (id) => request(`pause ${id}`),
    resume: (id) => request(`resume ${id}`),
    layer: (id, n) => request(`layer ${n} ${id}`),
  });
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  const answer = async () => {
    held.shift()?.();
    await settle();
  };
  return { sent, subs, settle, answer };
}

const cam = (id: string) => ({ id, layered: true });
const screen = (id: string) => ({ id, layered: false });

describe('video subscriptions', () => {
  it('a layer a quarter too small still looks sharp; bigger tiles get the next', () => {
    assert.deepEqual([100, 225, 226, 450, 451, 2000].map(layerFor), [0, 0, 1, 1, 2, 2]);
  });

  it('only what is shown is resumed, at its layer; a screen has no layer to choose', async () => {
    const s = sfu();
    s.subs.apply(
      [cam('a'), cam('b'), screen('s')],
      new Map([
        ['a', 200],
        ['s', 700],
      ]),
    );
    await s.settle();
    // Consumers are driven side by side: one's requests are in order, not across consumers.
    assert.deepEqual(
      s.sent.toSorted(),
      ['layer 0 a', 'resume a', 'resume s'],
      'b is off screen: it stays paused',
    );
    assert.deepEqual(s.subs.state('a'), { receiving: true, layer: 0 });
    assert.deepEqual(s.subs.state('b'), { receiving: false, layer: null });
    s.sent.length = 0;
    s.subs.apply(
      [cam('a'), cam('b'), screen('s')],
      new Map([
        ['a', 200],
        ['s', 700],
      ]),
    );
    await s.settle();
    assert.deepEqual(s.sent, [], 'an unchanged wish sends nothing');
  });

  it('a tile that grows asks for a higher layer; one that leaves the screen is paused', async () => {
    const s = sfu();
    s.subs.apply([cam('a')], new Map([['a', 200]]));
    await s.settle();
    s.subs.apply([cam('a')], new Map([['a', 700]]));
    await s.settle();
    s.subs.apply([cam('a')], new Map());
    await s.settle();
    assert.deepEqual(s.sent, ['layer 0 a', 'resume a', 'layer 2 a', 'pause a']);
    assert.deepEqual(s.subs.state('a'), { receiving: false, layer: 2 });
  });

  it('one request at a time per consumer, and only the last wish is sent', async () => {
    const s = sfu({ hold: true });
    s.subs.apply([cam('a')], new Map([['a', 200]]));
    s.subs.apply([cam('a')], new Map([['a', 700]]));
    s.subs.apply([cam('a')], new Map());
    s.subs.apply([cam('a')], new Map([['a', 300]]));
    await s.settle();
    assert.deepEqual(s.sent, ['layer 0 a'], 'the first request is still out');
    await s.answer();
    await s.answer();
    await s.answer();
    assert.deepEqual(s.sent, ['layer 0 a', 'layer 1 a', 'resume a']);
    assert.deepEqual(s.subs.state('a'), { receiving: true, layer: 1 });
  });

  it('a consumer the SFU no longer has is dropped, and one no longer listed is forgotten', async () => {
    const s = sfu({ fail: ' gone' });
    s.subs.apply(
      [cam('gone'), cam('a')],
      new Map([
        ['gone', 200],
        ['a', 200],
      ]),
    );
    await s.settle();
    assert.deepEqual(s.subs.state('gone'), { receiving: false, layer: null });
    s.subs.apply([], new Map());
    assert.deepEqual(s.subs.state('a'), { receiving: false, layer: null });
  });
});
