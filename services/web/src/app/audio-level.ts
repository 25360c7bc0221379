/**
 * How loud a microphone is, for a level meter: Web Audio's AnalyserNode gives the waveform,
 * its RMS in dB is mapped onto 0..1 above a floor (quiet rooms read as empty), and the value
 * falls back slowly after a peak so that a short sound is seen. Nothing leaves the page.
 */

/** Levels at or below this read as 0 (a quiet room's noise). */
export const LEVEL_FLOOR_DB = -60;
/** Each sample keeps this share of the last level when the sound drops (fast rise, slow fall). */
const FALL = 0.8;
const SAMPLE_MS = 50;

/** The level of one window of samples (-1..1): 0 at the floor or below, 1 at full scale. */
export function levelOf(samples: Float32Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  const rms = Math.sqrt(sum / Math.max(samples.length, 1));
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB));
}

/** The next shown level: a louder sample at once, a quieter one a little at a time. */
export function nextShown(shown: number, measured: number): number {
  return Math.max(measured, shown * FALL);
}

export interface LevelWatch {
  /** Stops sampling and closes the AudioContext. */
  stop(): void;
}

/**
 * Calls `onLevel` about 20 times a second with the track's level (0..1) until stopped. A
 * browser that starts audio only after a gesture gets its context resumed on the page's next
 * click or key; until then the level reads 0. Never throws: without Web Audio it reports 0 once.
 */
export function watchLevel(track: MediaStreamTrack, onLevel: (level: number) => void): LevelWatch {
  let context: AudioContext;
  try {
    context = new AudioContext();
  } catch {
    onLevel(0);
    return { stop() {} };
  }
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let shown = 0;
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    shown = nextShown(shown, context.state === 'running' ? levelOf(samples) : 0);
    onLevel(shown < 0.01 ? 0 : shown);
  }, SAMPLE_MS);
  const resume = () => void context.resume().catch(() => {});
  const gestures = ['pointerdown', 'keydown'] as const;
  if (context.state === 'suspended') {
    resume();
    for (const g of gestures) document.addEventListener(g, resume, { capture: true });
  }
  return {
    stop() {
      clearInterval(timer);
      for (const g of gestures) document.removeEventListener(g, resume, { capture: true });
      if (context.state !== 'closed') void context.close().catch(() => {});
      onLevel(0);
    },
  };
}
