/**
 * Noise suppression for the microphone: on by default, remembered on this device. When on, the
 * microphone is sent through RNNoise (live-chain.ts) and the browser's own noise suppression is
 * turned off, so the sound is not processed twice; when off, or where RNNoise cannot run (no
 * AudioWorklet or WebAssembly, a refused context), the browser's own is used. Nothing is sent.
 */
import { denoise, isDenoised, microphoneOf, undenoise } from './live-chain.ts';
import { canSuppressNoise } from './rnnoise-node.ts';

const STORAGE_KEY = 'conclave:noise-suppression';

/** What a microphone track gets: RNNoise, the browser's suppression in its place, or the browser's by choice. */
export type NoiseMode = 'rnnoise' | 'unavailable' | 'off';

export function noiseSuppressionWanted(): boolean {
  try {
    return localStorage.getItem(STORAGE_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function rememberNoiseSuppression(on: boolean): void {
  try {
    localStorage.setItem(STORAGE_KEY, on ? 'on' : 'off');
  } catch {
    // Storage refused (private mode): the choice lasts for this page.
  }
}

/** Whether getUserMedia should ask for the browser's own noise suppression. */
export function browserNoiseSuppression(): boolean {
  return !(noiseSuppressionWanted() && canSuppressNoise());
}

export function noiseModeOf(track: MediaStreamTrack | undefined): NoiseMode {
  if (track && isDenoised(track)) return 'rnnoise';
  return noiseSuppressionWanted() ? 'unavailable' : 'off';
}

/** Asks the microphone for the browser's suppression on or off; some browsers cannot change it live. */
async function browserSuppression(microphone: MediaStreamTrack, on: boolean): Promise<void> {
  if (microphone.getSettings().noiseSuppression === on) return;
  await microphone.applyConstraints({ ...microphone.getConstraints(), noiseSuppression: on }).catch(() => {});
}

/**
 * The track to send for `track` (a microphone, or one denoised before): denoised when `on` and
 * RNNoise runs, else the microphone itself. Never throws. The old track is left as it was: once
 * the new one is sent, `retire` it.
 */
export async function micTrackFor(track: MediaStreamTrack, on: boolean): Promise<MediaStreamTrack> {
  const microphone = microphoneOf(track);
  if (!on || !canSuppressNoise()) {
    await browserSuppression(microphone, true);
    return microphone;
  }
  if (isDenoised(track)) return track;
  try {
    const denoised = await denoise(microphone);
    denoised.enabled = track.enabled;
    await browserSuppression(microphone, false);
    return denoised;
  } catch (error) {
    console.warn('Noise suppression is unavailable; the browser’s own is used.', error);
    await browserSuppression(microphone, true);
    return microphone;
  }
}

/** Stops a track no longer sent: a denoised one without its microphone when that is still in use. */
export function retire(old: MediaStreamTrack, now: MediaStreamTrack): void {
  if (old === now) return;
  if (microphoneOf(old) === microphoneOf(now)) undenoise(old);
  else old.stop();
}

/** Puts the track to send in `stream` in place of its microphone track; returns the old and new. */
export async function denoiseStream(
  stream: MediaStream,
  on: boolean,
): Promise<{ old: MediaStreamTrack; now: MediaStreamTrack } | undefined> {
  const old = stream.getAudioTracks()[0];
  if (!old) return undefined;
  const now = await micTrackFor(old, on);
  if (now !== old) {
    stream.removeTrack(old);
    stream.addTrack(now);
  }
  return { old, now };
}

export { microphoneOf };
