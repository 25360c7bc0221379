/**
 * Test signals for noise suppression: speech-like bursts (a voiced harmonic series with a gliding
 * pitch and syllable-rate envelope) over steady white and pink noise, at 48 kHz, from a seeded
 * generator so every run gets the same samples; and what to measure on them.
 */
export const RATE = 48_000;

export interface NoisySignal {
  /** Bursts plus noise. */
  noisy: Float32Array;
  /** The bursts alone. */
  clean: Float32Array;
  /** [start, end) sample ranges of the bursts. */
  bursts: [number, number][];
}

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `seconds` of signal: a 0.6 s burst every 1.5 s from 1 s on, over noise of RMS `noiseRms`
 * (half white, half pink).
 */
export function noisySignal(seconds: number, noiseRms = 0.02, seed = 7): NoisySignal {
  const n = Math.round(seconds * RATE);
  const rand = random(seed);
  const clean = new Float32Array(n);
  const bursts: [number, number][] = [];
  for (let start = RATE; start + 0.6 * RATE <= n; start += 1.5 * RATE) {
    const length = 0.6 * RATE;
    bursts.push([start, start + length]);
    let phase = 0;
    for (let i = 0; i < length; i++) {
      const t = i / RATE;
      const f0 = 140 + 60 * (t / 0.6);
      phase += (2 * Math.PI * f0) / RATE;
      let v = 0;
      for (let k = 1; k * f0 < 4000; k++) v += Math.sin(k * phase) / k;
      // Rise and fall of the whole burst, with syllables at 5 Hz.
      const envelope = Math.sin((Math.PI * i) / length) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 5 * t));
      clean[start + i] = 0.12 * envelope * v;
    }
  }
  const white = new Float32Array(n);
  const pink = new Float32Array(n);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < n; i++) {
    const w = (rand() + rand() + rand() - 1.5) * 2;
    white[i] = w;
    // Paul Kellet's economy pink filter.
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    pink[i] = b0 + b1 + b2 + w * 0.1848;
  }
  const scale = (a: Float32Array) => noiseRms / Math.SQRT2 / rms(a);
  const sw = scale(white);
  const sp = scale(pink);
  const noisy = new Float32Array(n);
  for (let i = 0; i < n; i++) noisy[i] = clean[i]! + white[i]! * sw + pink[i]! * sp;
  return { noisy, clean, bursts };
}

export function rms(a: Float32Array, from = 0, to = a.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += a[i]! * a[i]!;
  return Math.sqrt(sum / Math.max(1, to - from));
}

export const db = (ratio: number) => 20 * Math.log10(ratio);

/** The lag (in samples, 0..maxLag) at which `output` best matches `input`. */
export function delayOf(input: Float32Array, output: Float32Array, maxLag: number): number {
  let best = -Infinity;
  let bestLag = 0;
  for (let lag = 0; lag <= maxLag; lag++) {
    let sum = 0;
    for (let i = 0; i + lag < output.length; i++) sum += input[i]! * output[i + lag]!;
    if (sum > best) {
      best = sum;
      bestLag = lag;
    }
  }
  return bestLag;
}

/** The noise-only ranges between bursts (after `skip` samples), `margin` samples clear of each burst. */
export function gaps(signal: NoisySignal, skip: number, margin: number): [number, number][] {
  const out: [number, number][] = [];
  let from = skip;
  for (const [start, end] of signal.bursts) {
    if (start - margin > from) out.push([from, start - margin]);
    from = Math.max(from, end + margin);
  }
  if (signal.noisy.length > from) out.push([from, signal.noisy.length]);
  return out;
}

/** RMS over several ranges together, of `a` shifted by `lag` samples. */
export function rmsOver(a: Float32Array, ranges: [number, number][], lag = 0): number {
  let sum = 0;
  let count = 0;
  for (const [from, to] of ranges) {
    for (let i = from + lag; i < Math.min(to + lag, a.length); i++) {
      sum += a[i]! * a[i]!;
      count++;
    }
  }
  return Math.sqrt(sum / Math.max(1, count));
}

/** A 16-bit mono PCM WAV file of `samples` at 48 kHz. */
export function wav(samples: Float32Array): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
