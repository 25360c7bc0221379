import type { LogEntry } from './feed.ts';
import type { GroupState } from './group-state.ts';

/**
 * How many events a reader who has seen up to `afterSeq` missed, or null when the replay
 * buffer (the last `replayEvents` of the group's events) no longer holds all of them.
 */
export function missedSince(g: GroupState, afterSeq: number, replayEvents: number): number | null {
  const missed = g.seq - afterSeq;
  const buffered = Math.min(g.seq, replayEvents);
  return missed < 0 || missed > buffered ? null : missed;
}

/** The events after `afterSeq` out of `buffer` (the group's replay buffer), or null as above. */
export function eventsSince(
  g: GroupState | undefined,
  afterSeq: number,
  replayEvents: number,
  buffer: LogEntry[],
): LogEntry[] | null {
  const missed = g ? missedSince(g, afterSeq, replayEvents) : null;
  if (missed === null) return null;
  return missed > 0 ? buffer.slice(-missed) : [];
}
