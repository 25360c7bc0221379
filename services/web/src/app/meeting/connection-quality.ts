/**
 * How well a stream is getting through, from successive WebRTC `getStats()` reports of it:
 * loss over the last few seconds (not since the call began), round-trip time, audio jitter,
 * received video's frame rate. Computed in the page and never sent anywhere. A figure the browser
 * does not give makes the level `unknown`, never `good`; a paused stream is `unknown`, not `poor`.
 */

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

/** Received (a consumer's receiver) or sent (a producer's sender). */
export type Direction = 'in' | 'out';

/** Loss at or under 2 %: Opus and VP8 conceal it (with NACK for video) without anyone noticing. */
export const LOSS_GOOD = 0.02;
/** Loss over 8 %: speech breaks up and pictures freeze even with retransmission. */
export const LOSS_POOR = 0.08;
/** Round trip under 300 ms: turn-taking still feels natural (ITU-T G.114's 150 ms each way). */
export const RTT_GOOD_S = 0.3;
/** Round trip over 600 ms: people start talking over each other. */
export const RTT_POOR_S = 0.6;
/** Audio jitter under 30 ms: the jitter buffer absorbs it without adding noticeable delay. */
export const JITTER_GOOD_S = 0.03;
/** Audio jitter over 100 ms: the buffer grows or drops audio; speech stutters. */
export const JITTER_POOR_S = 0.1;
/** Decoding under 5 frames a second while packets arrive: the picture visibly stutters. */
export const VIDEO_FPS_FAIR = 5;
/** Levels are over the last 3 intervals (3 s): a single slow second on a busy computer is noise. */
export const QUALITY_WINDOW = 3;

/** The figures of one stream read from one report; cumulative counters as the browser gives them. */
export interface StreamSample {
  kind: 'audio' | 'video';
  direction: Direction;
  /** Milliseconds, the report's own clock. */
  at: number;
  /** Packets received (in) or sent (out), summed over simulcast layers. */
  packets: number | undefined;
  /** Packets lost since the start: the receiver's count (in), or the SFU's receiver reports' (out). */
  lost: number | undefined;
  /** Sent streams: the fraction the SFU lost in its last receiver report (already per interval). */
  fractionLost: number | undefined;
  /** Seconds: the selected candidate pair's, else the one an RTCP report gives. */
  rtt: number | undefined;
  /** Seconds. */
  jitter: number | undefined;
  /** Video received: frames decoded since the start. */
  frames: number | undefined;
  /** Video received: the browser's own frame rate, where the counter above is missing. */
  fps: number | undefined;
}

/** What `getStats()` resolves to (RTCStatsReport), or a Map of its records in tests. */
export interface StatsLike {
  forEach(callback: (record: Record<string, unknown>) => void): void;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function sum(records: Record<string, unknown>[], field: string): number | undefined {
  const values = records.map((r) => num(r[field])).filter((v) => v !== undefined);
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

function max(records: Record<string, unknown>[], field: string): number | undefined {
  const values = records.map((r) => num(r[field])).filter((v) => v !== undefined);
  return values.length ? Math.max(...values) : undefined;
}

/**
 * The round trip of the candidate pair in use: Chromium names it in the `transport` record,
 * Firefox marks it `selected`. Without one, RTCP's (Firefox puts it in `remote-*-rtp`).
 */
function roundTrip(
  byType: Map<string, Record<string, unknown>[]>,
  byId: Map<string, Record<string, unknown>>,
) {
  const pairs = byType.get('candidate-pair') ?? [];
  const selectedId = (byType.get('transport') ?? []).map((t) => t['selectedCandidatePairId']).find(Boolean);
  const pair =
    (typeof selectedId === 'string' ? byId.get(selectedId) : undefined) ??
    pairs.find((p) => p['selected'] === true) ??
    pairs.find((p) => p['nominated'] === true && p['state'] === 'succeeded');
  return (
    num(pair?.['currentRoundTripTime']) ??
    max(byType.get('remote-inbound-rtp') ?? [], 'roundTripTime') ??
    max(byType.get('remote-outbound-rtp') ?? [], 'roundTripTime')
  );
}

/** Reads one stream's figures from its receiver's or sender's report; none without an RTP record. */
export function readSample(
  report: StatsLike,
  direction: Direction,
  kind: 'audio' | 'video',
): StreamSample | undefined {
  const byType = new Map<string, Record<string, unknown>[]>();
  const byId = new Map<string, Record<string, unknown>>();
  report.forEach((r) => {
    const type = String(r['type']);
    byType.set(type, [...(byType.get(type) ?? []), r]);
    if (typeof r['id'] === 'string') byId.set(r['id'], r);
  });
  const rtp = byType.get(direction === 'in' ? 'inbound-rtp' : 'outbound-rtp') ?? [];
  const at = max(rtp, 'timestamp');
  if (!rtp.length || at === undefined) return undefined;
  // The SFU's view of what we send: its receiver reports.
  const reports = byType.get('remote-inbound-rtp') ?? [];
  return {
    kind,
    direction,
    at,
    packets: sum(rtp, direction === 'in' ? 'packetsReceived' : 'packetsSent'),
    lost: sum(direction === 'in' ? rtp : reports, 'packetsLost'),
    fractionLost: direction === 'out' ? max(reports, 'fractionLost') : undefined,
    rtt: roundTrip(byType, byId),
    jitter: max(direction === 'in' ? rtp : reports, 'jitter'),
    frames: direction === 'in' ? sum(rtp, 'framesDecoded') : undefined,
    fps: direction === 'in' ? max(rtp, 'framesPerSecond') : undefined,
  };
}

const grade = (value: number | undefined, good: number, poor: number): Quality | undefined =>
  value === undefined ? undefined : value <= good ? 'good' : value > poor ? 'poor' : 'fair';

/** Fraction of packets lost between the two samples; undefined when it cannot be told. */
function intervalLoss(before: StreamSample, now: StreamSample, moved: number): number | undefined {
  if (now.direction === 'out' && now.fractionLost !== undefined) return now.fractionLost;
  if (before.lost === undefined || now.lost === undefined) return undefined;
  // Duplicates can make the count go down: that is no loss.
  const lost = Math.max(0, now.lost - before.lost);
  // Packets sent include the lost ones; packets received do not.
  return Math.min(1, lost / (now.direction === 'out' ? moved : moved + lost));
}

/** Received video that had been decoding and now decodes under VIDEO_FPS_FAIR stutters. */
function frameRate(before: StreamSample, now: StreamSample, seconds: number): Quality | undefined {
  if (now.kind !== 'video' || now.direction !== 'in') return undefined;
  if (before.frames !== undefined && now.frames !== undefined) {
    // Before the first frame the key is still coming (frames are dropped until it decrypts).
    if (before.frames === 0) return undefined;
    return (now.frames - before.frames) / seconds < VIDEO_FPS_FAIR ? 'fair' : 'good';
  }
  return now.fps === undefined ? undefined : now.fps < VIDEO_FPS_FAIR ? 'fair' : 'good';
}

/**
 * One stream's level over the interval between two samples: `poor` when anything is poor (or
 * nothing moved on a stream that had been flowing), `unknown` when loss or round trip cannot be
 * told, `fair` when anything is fair, else `good`. Jitter counts for audio only: a video frame's
 * packets are paced out over time, which RTP jitter counts as if it were the network's.
 */
export function assess(before: StreamSample | undefined, now: StreamSample, paused: boolean): Quality {
  if (paused || !before || before.direction !== now.direction) return 'unknown';
  const seconds = (now.at - before.at) / 1000;
  if (seconds <= 0 || before.packets === undefined || now.packets === undefined) return 'unknown';
  const moved = now.packets - before.packets;
  // Nothing arrived (or went out) on a stream that is not paused: it stalled. One that never
  // flowed yet is still starting; a counter going back is a new stream.
  if (moved === 0) return before.packets > 0 ? 'poor' : 'unknown';
  if (moved < 0) return 'unknown';
  const loss = grade(intervalLoss(before, now, moved), LOSS_GOOD, LOSS_POOR);
  const rtt = grade(now.rtt, RTT_GOOD_S, RTT_POOR_S);
  const jitter = now.kind === 'audio' ? grade(now.jitter, JITTER_GOOD_S, JITTER_POOR_S) : undefined;
  const levels = [loss, rtt, jitter, frameRate(before, now, seconds)];
  if (levels.includes('poor')) return 'poor';
  if (!loss || !rtt) return 'unknown';
  return levels.includes('fair') ? 'fair' : 'good';
}

const RANK: Record<Quality, number> = { unknown: 0, good: 1, fair: 2, poor: 3 };

/** The worst known level: an unknown one (a paused camera) hides no other; unknown if none is known. */
export function worst(levels: Iterable<Quality>): Quality {
  let result: Quality = 'unknown';
  for (const q of levels) if (RANK[q] > RANK[result]) result = q;
  return result;
}

const mean = (values: (number | undefined)[]): number | undefined => {
  const known = values.filter((v) => v !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : undefined;
};

/**
 * Each stream's recent samples and level. The level is over the last QUALITY_WINDOW intervals
 * (counters from the oldest sample to the newest, round trip and jitter averaged), so that one
 * second in which a busy computer read nothing is not shown as a bad connection.
 */
export class QualityTracker {
  readonly #samples = new Map<string, StreamSample[]>();
  readonly #levels = new Map<string, Quality>();
  readonly #fallbackRtt: () => number | undefined;
  /** The latest round trip a report gave, in seconds. */
  rtt: number | undefined;

  /**
   * `fallbackRtt`: a round trip to the same SFU measured elsewhere (the send transport's), for
   * reports without one (Firefox's receivers give none).
   */
  constructor(fallbackRtt: () => number | undefined = () => undefined) {
    this.#fallbackRtt = fallbackRtt;
  }

  /** Takes a stream's new report (none: getStats failed); a paused stream starts afresh once resumed. */
  update(
    id: string,
    direction: Direction,
    kind: 'audio' | 'video',
    report: StatsLike | undefined,
    paused: boolean,
  ): Quality {
    const now = report && !paused ? readSample(report, direction, kind) : undefined;
    if (now?.rtt !== undefined) this.rtt = now.rtt;
    else if (now) now.rtt = this.#fallbackRtt();
    if (!now) {
      this.#samples.delete(id);
      this.#levels.set(id, 'unknown');
      return 'unknown';
    }
    const samples = [...(this.#samples.get(id) ?? []), now].slice(-(QUALITY_WINDOW + 1));
    this.#samples.set(id, samples);
    const recent = samples.slice(1);
    const [oldest] = samples;
    const level =
      samples.length < 2
        ? 'unknown'
        : assess(
            oldest,
            { ...now, rtt: mean(recent.map((s) => s.rtt)), jitter: mean(recent.map((s) => s.jitter)) },
            false,
          );
    this.#levels.set(id, level);
    return level;
  }

  level(id: string): Quality {
    return this.#levels.get(id) ?? 'unknown';
  }

  /** Forgets the streams that are gone. */
  retain(ids: Set<string>): void {
    for (const id of this.#levels.keys())
      if (!ids.has(id)) {
        this.#levels.delete(id);
        this.#samples.delete(id);
      }
  }
}
