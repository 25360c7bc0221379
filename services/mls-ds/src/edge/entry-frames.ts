import { type LogEntry, memberEvent, welcomeEvent } from '../group/rules/feed.ts';

/** Serialized forms of one log entry, built once and shared by every connection. */
export interface EntryFrames {
  entry: LogEntry;
  forMembers?: string;
  forJoiners?: string;
}

/** The Welcome frame for `member`, if the entry is a commit that adds it; nothing else reaches a joiner. */
export function joinerFrame(frames: EntryFrames, member: string): string | undefined {
  const e = frames.entry;
  const welcome =
    e.type === 'commit' && e.adds.some((a) => a.member === member) ? welcomeEvent(e) : undefined;
  if (!welcome) return undefined;
  frames.forJoiners ??= JSON.stringify(welcome);
  return frames.forJoiners;
}

/** The frame for the members of the group: the commit or application message itself. */
export function memberFrame(frames: EntryFrames): string {
  frames.forMembers ??= JSON.stringify(memberEvent(frames.entry));
  return frames.forMembers;
}
