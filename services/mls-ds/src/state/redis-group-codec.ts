import type { FeedMessage, LogEntry } from '../group/rules/feed.ts';
import type { GroupState, Session } from '../group/rules/group-state.ts';

/** Key indices in `groupKeys` order: sessions, KeyPackages, group fields, replay list, refused sids, sid index. */
const K = { sessions: 1, keyPackages: 2, group: 3, log: 4, refused: 5, sids: 6 } as const;

/** One write of the CAS script: command, key index, and up to two arguments. */
export type Write = [op: string, key: number, a: string, b: string];

/** What one MULTI read returns for a group. */
export interface StoredGroup {
  sessions: Record<string, string>;
  keyPackages: Record<string, string>;
  fields: Record<string, string>;
  refused: string[];
}

/** The version the group was read at ('' when there is no group). */
export function versionOf(stored: StoredGroup): string {
  return stored.fields.v ?? '';
}

export function decodeGroup(stored: StoredGroup): GroupState | undefined {
  const f = stored.fields;
  if (f.v === undefined) return undefined;
  const sessions: Record<string, Session> = {};
  for (const [member, raw] of Object.entries(stored.sessions)) {
    const s = JSON.parse(raw) as Session;
    const kp = stored.keyPackages[member];
    sessions[member] = kp === undefined ? s : { ...s, keyPackage: kp };
  }
  return {
    epoch: Number(f.epoch ?? 0),
    seq: Number(f.seq ?? 0),
    order: Number(f.ord ?? 0),
    sessions,
    refused: stored.refused,
    ...(f.req !== undefined ? { request: JSON.parse(f.req) } : {}),
  };
}

/**
 * The writes that turn the stored group `before` into `after` and publish `feed`: only what
 * changed, so a heartbeat rewrites a few session records, not the group. Sequenced entries
 * also go to the replay list, trimmed to `replayEvents`.
 */
export function writesFor(
  before: GroupState | undefined,
  after: GroupState | undefined,
  feed: FeedMessage[],
  replayEvents: number,
): Write[] {
  const out: Write[] = [];
  const publish = feed.map((m): Write => ['publish', 0, JSON.stringify(m), '']);
  if (!after) return [['del', 0, '', ''], ...publish];
  if (!before) out.push(['del', 0, '', '']);
  const old = before?.sessions ?? {};
  for (const [member, s] of Object.entries(after.sessions)) {
    const { keyPackage, ...record } = s;
    const was = old[member];
    if (!was || JSON.stringify(withoutKeyPackage(was)) !== JSON.stringify(record))
      out.push(['hset', K.sessions, member, JSON.stringify(record)]);
    if (keyPackage !== undefined && keyPackage !== was?.keyPackage)
      out.push(['hset', K.keyPackages, member, keyPackage]);
    if (keyPackage === undefined && was?.keyPackage !== undefined)
      out.push(['hdel', K.keyPackages, member, '']);
  }
  for (const member of Object.keys(old)) {
    if (after.sessions[member]) continue;
    out.push(['hdel', K.sessions, member, ''], ['hdel', K.keyPackages, member, '']);
  }
  const sidsBefore = sidIndex(before);
  const sidsAfter = sidIndex(after);
  for (const [sid, member] of sidsAfter)
    if (sidsBefore.get(sid) !== member) out.push(['hset', K.sids, sid, member]);
  for (const sid of sidsBefore.keys()) if (!sidsAfter.has(sid)) out.push(['hdel', K.sids, sid, '']);
  const fields: [string, number][] = [
    ['epoch', after.epoch],
    ['seq', after.seq],
    ['ord', after.order],
  ];
  const was = { epoch: before?.epoch, seq: before?.seq, ord: before?.order };
  for (const [name, value] of fields)
    if (was[name as keyof typeof was] !== value) out.push(['hset', K.group, name, String(value)]);
  const req = after.request ? JSON.stringify(after.request) : undefined;
  const reqBefore = before?.request ? JSON.stringify(before.request) : undefined;
  if (req !== reqBefore) out.push(req ? ['hset', K.group, 'req', req] : ['hdel', K.group, 'req', '']);
  const refusedBefore = new Set(before?.refused);
  for (const sid of after.refused) if (!refusedBefore.has(sid)) out.push(['sadd', K.refused, sid, '']);
  const entries = feed.filter((m): m is LogEntry => m.type === 'commit' || m.type === 'app');
  for (const e of entries) out.push(['rpush', K.log, JSON.stringify(e), '']);
  if (entries.length > 0) out.push(['ltrim', K.log, String(-replayEvents), '-1']);
  return [...out, ...publish];
}

function withoutKeyPackage(s: Session): Omit<Session, 'keyPackage'> {
  const { keyPackage: _, ...record } = s;
  return record;
}

/** Session ID → member, for the sessions that hold their ID (see `memberOfSid`). */
function sidIndex(g: GroupState | undefined): Map<string, string> {
  const index = new Map<string, string>();
  for (const [member, s] of Object.entries(g?.sessions ?? {}))
    if (s.sid !== '' && s.state !== 'leaving') index.set(s.sid, member);
  return index;
}

/** Flattens writes into the CAS script's arguments. */
export function writeArgs(writes: Write[]): string[] {
  return writes.flatMap(([op, key, a, b]) => [op, String(key), a, b]);
}
