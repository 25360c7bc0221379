import type { Change } from './change.ts';
import { byOrder } from './group-state.ts';

/**
 * Runs after every change of membership: expires silent sessions, deletes a group left
 * empty, and hands pending work (KeyPackages to add, leaves to remove) to one committer.
 * Returns true when the group was deleted.
 */
export function settle(c: Change): boolean {
  const { g, now, limits } = c;
  for (const [id, s] of Object.entries(g.sessions)) {
    if (s.state !== 'leaving' && s.seen < now - limits.resumeGraceMs) c.depart(id, s);
  }
  const sessions = byOrder(g);
  let joined = sessions.filter(([, s]) => s.state === 'joined');
  const pending = sessions.filter(([, s]) => s.state === 'pending');
  let removes = sessions.filter(([, s]) => s.state === 'leaving');
  if (joined.length === 0) {
    if (pending.length === 0) {
      c.deleted = true;
      c.publish({ type: 'purged' });
      return true;
    }
    // Everyone who could commit left before adding the waiting joiners: the oldest starts anew.
    c.reset();
    removes = [];
    const first = pending.shift()!;
    const [id, s] = first;
    s.state = 'joined';
    s.leaf = 0;
    delete s.keyPackage;
    joined = [first];
    c.publish({ type: 'create', to: id, epoch: 0, seq: g.seq });
  }
  const adds = pending.filter(([, s]) => s.keyPackage !== undefined).slice(0, limits.maxCommitBatch);
  if (adds.length === 0 && removes.length === 0) {
    delete g.request;
    return false;
  }
  const req = g.request;
  if (req && req.epoch === g.epoch) {
    const current = g.sessions[req.to];
    const valid = current?.state === 'joined' && current.connected;
    if (valid && req.deadline > now) return false;
    // Failover: the committer that stayed silent past its deadline moves to the back.
    if (valid) current.order = ++g.order;
  }
  const committer = joined.filter(([, s]) => s.connected).sort((a, b) => a[1].order - b[1].order)[0];
  if (!committer) return false;
  const [to] = committer;
  g.request = { to, epoch: g.epoch, deadline: now + limits.commitDeadlineMs };
  c.publish({
    type: 'req',
    to,
    epoch: g.epoch,
    deadline: limits.commitDeadlineMs,
    adds: adds.map(([member, s]) => ({ member, kp: s.keyPackage! })),
    removes: removes.map(([member, s]) => ({ member, leaf: s.leaf })),
  });
  return false;
}
