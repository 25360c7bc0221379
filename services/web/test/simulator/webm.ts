/**
 * Just enough of WebM (EBML) to take the encoded frames out of what a browser's MediaRecorder
 * writes: track numbers and codecs, and every SimpleBlock (or Block) with its time. Clusters
 * and segments of unknown size (a live recording) are read as they come. Laced blocks are not
 * expected (MediaRecorder writes none) and are skipped.
 */

export interface WebmTrack {
  number: number;
  /** The Matroska codec ID: `A_OPUS`, `V_VP8`… */
  codec: string;
}

export interface WebmFrame {
  track: number;
  /** Presentation time in milliseconds. */
  timeMs: number;
  /** The block's key-frame flag (SimpleBlock only; false for a Block). */
  key: boolean;
  data: Uint8Array;
}

const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const BLOCK_GROUP = 0xa0;
const INFO = 0x1549a966;
/** Elements read as containers: their children follow their header directly. */
const MASTERS = new Set([SEGMENT, CLUSTER, TRACKS, TRACK_ENTRY, BLOCK_GROUP, INFO]);
const TIMECODE_SCALE = 0x2ad7b1;
const CLUSTER_TIMECODE = 0xe7;
const TRACK_NUMBER = 0xd7;
const CODEC_ID = 0x86;
const SIMPLE_BLOCK = 0xa3;
const BLOCK = 0xa1;

/** A variable-length integer at `offset`: its value (marker kept for IDs) and its length. */
function vint(
  bytes: Uint8Array,
  offset: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } {
  const first = bytes[offset];
  if (first === undefined || first === 0) throw new Error(`bad EBML varint at ${offset}`);
  const length = Math.clz32(first) - 23;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const b = bytes[offset + i];
    if (b === undefined) throw new Error('truncated EBML varint');
    value = value * 256 + b;
    if (b !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

const uint = (bytes: Uint8Array): number => bytes.reduce((n, b) => n * 256 + b, 0);

export function parseWebm(bytes: Uint8Array): { tracks: WebmTrack[]; frames: WebmFrame[] } {
  const tracks: WebmTrack[] = [];
  const frames: WebmFrame[] = [];
  let scaleNs = 1_000_000;
  let clusterTime = 0;
  let entry: Partial<WebmTrack> = {};
  const endEntry = () => {
    if (entry.number !== undefined) tracks.push({ number: entry.number, codec: entry.codec ?? '' });
    entry = {};
  };
  let offset = 0;
  while (offset < bytes.length) {
    let id: ReturnType<typeof vint>;
    let size: ReturnType<typeof vint>;
    try {
      id = vint(bytes, offset, true);
      size = vint(bytes, offset + id.length, false);
    } catch {
      break; // a recording cut mid-element: keep what came before
    }
    const start = offset + id.length + size.length;
    if (MASTERS.has(id.value)) {
      if (id.value === TRACK_ENTRY || id.value === CLUSTER) endEntry();
      offset = start;
      continue;
    }
    if (size.unknown || start + size.value > bytes.length) break;
    const body = bytes.subarray(start, start + size.value);
    offset = start + size.value;
    switch (id.value) {
      case TIMECODE_SCALE:
        scaleNs = uint(body);
        break;
      case CLUSTER_TIMECODE:
        clusterTime = uint(body);
        break;
      case TRACK_NUMBER:
        entry.number = uint(body);
        break;
      case CODEC_ID:
        entry.codec = new TextDecoder().decode(body);
        break;
      case SIMPLE_BLOCK:
      case BLOCK: {
        const track = vint(body, 0, false);
        const relative = ((body[track.length]! << 24) >> 16) | body[track.length + 1]!;
        const flags = body[track.length + 2]!;
        if (flags & 0x06) break; // laced
        frames.push({
          track: track.value,
          timeMs: ((clusterTime + relative) * scaleNs) / 1_000_000,
          key: id.value === SIMPLE_BLOCK && (flags & 0x80) !== 0,
          data: body.slice(track.length + 3),
        });
        break;
      }
    }
  }
  endEntry();
  return { tracks, frames };
}
