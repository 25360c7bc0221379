/**
 * The People panel's order and search (views/meeting/people-order.ts), without a browser: own
 * entry first, raised hands next, the rest by name; a search ignores case and accents.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldName, orderPeople } from '../src/app/views/meeting/people-order.ts';

const person = (leaf: number, name: string, hand = false) => ({ leaf, name, hand });
const names = (list: { name: string }[]) => list.map((p) => p.name);

describe('people order', () => {
  const people = [
    person(0, 'Zed'),
    person(1, 'bob'),
    person(2, 'Émile', true),
    person(3, 'Alice'),
    person(4, 'Chloé', true),
    person(5, 'Ängel'),
  ];

  it('puts your own entry first, then raised hands by name, then everyone by name', () => {
    assert.deepEqual(names(orderPeople(people, 0)), ['Zed', 'Chloé', 'Émile', 'Alice', 'Ängel', 'bob']);
  });

  it('puts your own entry first even among raised hands, and works before you have a leaf', () => {
    assert.deepEqual(names(orderPeople(people, 4)), ['Chloé', 'Émile', 'Alice', 'Ängel', 'bob', 'Zed']);
    assert.deepEqual(names(orderPeople(people, undefined)), [
      'Chloé',
      'Émile',
      'Alice',
      'Ängel',
      'bob',
      'Zed',
    ]);
  });

  it('orders equal names by leaf, and numbers by value', () => {
    const same = [person(9, 'Sam'), person(3, 'sam'), person(5, 'Sam 10'), person(6, 'Sam 9')];
    assert.deepEqual(
      orderPeople(same, undefined).map((p) => p.leaf),
      [3, 9, 6, 5],
    );
  });

  it('does not change the list it is given', () => {
    const copy = [...people];
    orderPeople(people, 0, 'e');
    assert.deepEqual(people, copy);
  });

  it('searches without regard to case or accents, in composed or decomposed text', () => {
    assert.deepEqual(names(orderPeople(people, 0, 'emile')), ['Émile']);
    assert.deepEqual(names(orderPeople(people, 0, 'ÉMILE')), ['Émile']);
    assert.deepEqual(names(orderPeople(people, 0, 'E\u0301mi')), ['Émile']);
    assert.deepEqual(names(orderPeople([person(7, 'Zoe\u0308 Ekstro\u0308m')], 0, 'zoë ekström')), [
      'Zoe\u0308 Ekstro\u0308m',
    ]);
    assert.deepEqual(names(orderPeople(people, 0, 'ANGEL')), ['Ängel']);
  });

  it('keeps the order among matches, and trims the query', () => {
    assert.deepEqual(names(orderPeople(people, 0, ' e ')), ['Zed', 'Chloé', 'Émile', 'Alice', 'Ängel']);
    assert.deepEqual(names(orderPeople(people, 0, '')), names(orderPeople(people, 0)));
    assert.deepEqual(orderPeople(people, 0, 'nobody'), []);
  });

  it('folds names to lower case without combining marks', () => {
    assert.equal(foldName('Ängström'), 'angstrom');
    assert.equal(foldName('ZOË'), 'zoe');
  });

  it('orders and searches a thousand names quickly', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      person(i, `Person ${(i * 7919) % 1000}`, i % 97 === 0),
    );
    const t0 = performance.now();
    const all = orderPeople(many, 5);
    const found = orderPeople(many, 5, 'person 123');
    const ms = performance.now() - t0;
    assert.equal(all.length, 1000);
    assert.equal(all[0]!.leaf, 5);
    assert.ok(all.slice(1, 12).every((p) => p.hand));
    assert.deepEqual(names(found), ['Person 123']);
    assert.ok(ms < 200, `ordered 1,000 names and searched them in ${ms.toFixed(1)} ms`);
  });
});
