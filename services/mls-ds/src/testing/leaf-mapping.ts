import assert from 'node:assert/strict';
import type { TestMeeting } from './meeting.ts';

type Mapping = { member: string; leaf: number }[] | undefined;
const byLeaf = (list: Mapping) => [...(list ?? [])].sort((x, y) => x.leaf - y.leaf);

/**
 * Three members join (the third through `urlFor(2)`), one leaves, a fourth joins: `ready` and
 * `welcome` must name the DS member on every leaf, and forget a removed one. Shared by the
 * embedded and the distributed suites, which differ only in where each joiner connects.
 */
export async function checkLeafMapping(
  meeting: TestMeeting,
  urlFor: (joiner: number) => string,
): Promise<void> {
  const a = (await meeting.join(urlFor(0)))!;
  const b = (await meeting.join(urlFor(1)))!;
  await meeting.converged(2);
  const c = (await meeting.join(urlFor(2)))!;
  await meeting.converged(3);
  const ready = c.client.received.find((m) => m.type === 'ready');
  assert.deepEqual(byLeaf(ready?.type === 'ready' ? ready.members : undefined), [
    { member: a.member, leaf: 0 },
    { member: b.member, leaf: 1 },
  ]);
  const welcome = c.client.received.find((m) => m.type === 'welcome');
  assert.deepEqual(byLeaf(welcome?.type === 'welcome' ? welcome.members : undefined), [
    { member: a.member, leaf: 0 },
    { member: b.member, leaf: 1 },
    { member: c.member, leaf: 2 },
  ]);
  // After a Remove, the next joiner's Welcome no longer lists the removed member.
  b.leave();
  meeting.gone.add(b);
  await meeting.converged(2);
  const d = (await meeting.join(urlFor(3)))!;
  await meeting.converged(3);
  const later = d.client.received.find((m) => m.type === 'welcome');
  const members = byLeaf(later?.type === 'welcome' ? later.members : undefined).map((m) => m.member);
  assert.deepEqual(new Set(members), new Set([a.member, c.member, d.member]));
  assert.deepEqual(meeting.errors(), []);
  for (const m of meeting.active()) m.leave();
}
