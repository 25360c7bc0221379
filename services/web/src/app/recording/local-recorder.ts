/**
 * One recording in this browser: the composited grid and the mixed audio into WebM with
 * MediaRecorder, each one-second chunk handed to the sink as it comes (memory stays flat for
 * an hour). Nothing here is sent anywhere.
 */
import { type AudioMix, mixAudio } from './audio-mix.ts';
import { type Compositor, composeGrid } from './compositor.ts';
import type { RecordingSink } from './sink.ts';

const TIMESLICE_MS = 1000;
// VP8 first: its encoder costs a fraction of VP9's, and the recording shares the CPU with the call.
const TYPES = ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm'];

/** The first WebM this browser records (VP8 and Opus in Chromium and Firefox); none where it cannot. */
export function recordingMimeType(): string | undefined {
  if (typeof MediaRecorder === 'undefined') return undefined;
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t));
}

export interface RecordingSources {
  /** The video grid as shown. */
  grid: HTMLElement;
  /** Every audio track to hear now: remote microphones and this person's own. */
  audioTracks(): MediaStreamTrack[];
}

export class LocalRecorder {
  readonly startedAt = Date.now();
  readonly sink: RecordingSink;
  readonly #recorder: MediaRecorder;
  readonly #picture: Compositor;
  readonly #sound: AudioMix;
  readonly #syncTimer: ReturnType<typeof setInterval>;
  #failed: unknown;
  readonly #stopped: Promise<void>;

  /** `failed` is told when the browser or the disk gives up (e.g. the disk is full). */
  constructor(
    sources: RecordingSources,
    sink: RecordingSink,
    mimeType: string,
    failed: (e: unknown) => void,
  ) {
    this.sink = sink;
    this.#sound = mixAudio();
    this.#picture = composeGrid(sources.grid, (fps, fn) => this.#sound.tick(fps, fn));
    const sync = () => this.#sound.sync(sources.audioTracks());
    sync();
    // People join and leave: their microphones join and leave the mix within a second.
    this.#syncTimer = setInterval(sync, 1000);
    const stream = new MediaStream([...this.#picture.stream.getVideoTracks(), this.#sound.track]);
    this.#recorder = new MediaRecorder(stream, { mimeType, videoBitsPerSecond: 1_500_000 });
    const fail = (e: unknown) => {
      if (this.#failed) return;
      this.#failed = e;
      failed(e);
    };
    this.#recorder.ondataavailable = (e) => {
      if (e.data.size > 0) void sink.write(e.data).catch(fail);
    };
    this.#recorder.onerror = (e) => fail((e as unknown as { error?: unknown }).error ?? e);
    this.#stopped = new Promise((resolve) => this.#recorder.addEventListener('stop', () => resolve()));
    this.#recorder.start(TIMESLICE_MS);
  }

  /** Stops and closes the file; returns what is still to be downloaded (see sink.ts). */
  async stop(): Promise<Blob | undefined> {
    clearInterval(this.#syncTimer);
    if (this.#recorder.state !== 'inactive') this.#recorder.stop();
    await this.#stopped;
    this.#picture.stop();
    this.#sound.close();
    // After a failure what was written is still a playable recording up to that point.
    return this.sink.finish();
  }
}
