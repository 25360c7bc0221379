import type { DsServerMessage } from '@conclave/protocol';
import type { LogEntry } from '../state/group-state-store.ts';

/** Serialized forms of one log entry, built once and shared by every connection. */
export interface EntryFrames {
  entry: LogEntry;
  forMembers?: string;
  forJoiners?: string;
}

/** The Welcome frame for `member`, if the entry is a commit that adds it; nothing else reaches a joiner. */
export function joinerFrame(frames: EntryFrames, member: string): string | undefined {
  const e = frames.entry;
  if (e.k !== 'commit' || !e.adds.some((a) => a.member === member) || e.welcome === undefined)
    return undefined;
  frames.forJoiners ??= JSON.stringify({
    t: 'welcome',
    seq: e.seq,
    from: e.from,
    epoch: e.epoch + 1,
    welcome: e.welcome,
    adds: e.adds,
    ...(e.members !== undefined ? { members: e.members } : {}),
  } satisfies DsServerMessage);
  return frames.forJoiners;
}

/** The frame for the members of the group: the commit or application message itself. */
export function memberFrame(frames: EntryFrames): string {
  const e = frames.entry;
  frames.forMembers ??= JSON.stringify(
    e.k === 'commit'
      ? ({
          t: 'commit',
          seq: e.seq,
          from: e.from,
          epoch: e.epoch,
          commit: e.commit,
          adds: e.adds,
          removes: e.removes,
        } satisfies DsServerMessage)
      : ({ t: 'app', seq: e.seq, from: e.from, epoch: e.epoch, data: e.data } satisfies DsServerMessage),
  );
  return frames.forMembers;
}
