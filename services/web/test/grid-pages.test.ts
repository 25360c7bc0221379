/** Which people the grid's page shows: stable order, pages, pins, and the speaker brought in. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GridPages } from '../src/app/views/meeting/grid-pages.ts';

const people = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

describe('grid pages', () => {
  it('cuts everyone into pages in arrival order; newcomers go last, those gone leave no gap', () => {
    const g = new GridPages(4);
    g.sync(people(10));
    assert.equal(g.pageCount, 3);
    assert.deepEqual(g.visible(), ['p0', 'p1', 'p2', 'p3']);
    g.show(2);
    assert.deepEqual(g.visible(), ['p8', 'p9']);
    g.show(7);
    assert.equal(g.page, 2, 'a page past the end is the last one');
    g.sync(['p9', ...people(6)]);
    assert.equal(g.pageCount, 2);
    assert.equal(g.page, 1, 'the page shown no longer exists: the last one is shown');
    assert.deepEqual(g.visible(), ['p4', 'p5', 'p9']);
    g.sync([...people(6), 'p9', 'new']);
    assert.deepEqual(g.visible(), ['p4', 'p5', 'p9', 'new']);
  });

  it('a pinned person is first on every page, and the others share what is left', () => {
    const g = new GridPages(3);
    g.sync(people(7));
    g.togglePin('p5');
    assert.equal(g.isPinned('p5'), true);
    assert.deepEqual(g.visible(), ['p5', 'p0', 'p1']);
    assert.equal(g.pageCount, 3, 'six others, two places a page');
    g.show(2);
    assert.deepEqual(g.visible(), ['p5', 'p4', 'p6']);
    g.togglePin('p5');
    assert.equal(g.pageCount, 3);
    assert.deepEqual(g.visible(), ['p6']);
    g.togglePin('nobody');
    assert.equal(g.isPinned('nobody'), false, 'only someone present can be pinned');
  });

  it('a speaker off the first page changes places with its least recent speaker', () => {
    const g = new GridPages(3);
    g.sync(people(6));
    g.spoke('p1', 1);
    g.spoke('p0', 2);
    g.spoke('p4', 3);
    assert.deepEqual(g.visible(), ['p0', 'p1', 'p4'], 'p2 never spoke: p4 takes its place');
    g.show(1);
    assert.deepEqual(g.visible(), ['p3', 'p2', 'p5'], 'p2 went where p4 was; nobody else moved');
    g.spoke('p0', 4);
    g.show(0);
    assert.deepEqual(g.visible(), ['p0', 'p1', 'p4'], 'a speaker already on the first page stays put');
    g.spoke('p5', 5);
    assert.deepEqual(g.visible(), ['p0', 'p5', 'p4'], 'p1 spoke longest ago');
  });

  it('a pinned person is never swapped out for a speaker', () => {
    const g = new GridPages(2);
    g.sync(people(4));
    g.togglePin('p0');
    g.togglePin('p1');
    g.spoke('p3', 1);
    assert.deepEqual(g.visible(), ['p0', 'p1'], 'every place is pinned');
    g.togglePin('p1');
    g.spoke('p3', 2);
    assert.deepEqual(g.visible(), ['p0', 'p3']);
  });

  it('fewer places a page keeps the page in range', () => {
    const g = new GridPages(9);
    g.sync(people(20));
    g.show(2);
    g.perPage = 25;
    assert.equal(g.page, 0);
    assert.equal(g.visible().length, 20);
  });

  it('everyone, for the stage layout: pinned people first, then the order; who is pinned', () => {
    const g = new GridPages(2);
    g.sync(people(5));
    g.togglePin('p3');
    assert.deepEqual(g.everyone(), ['p3', 'p0', 'p1', 'p2', 'p4']);
    assert.deepEqual([...g.pinned], ['p3']);
    g.sync(['p0', 'p1']);
    assert.deepEqual([...g.pinned], [], 'someone who left is no longer pinned');
  });
});
