/**
 * The denoised microphone: mic track → AudioContext (48 kHz) → RNNoise worklet → a
 * MediaStreamAudioDestinationNode, whose track is what gets sent (and encrypted) in place of
 * the microphone's. Each denoised track remembers its microphone, so either can be found from
 * the other, and stopping it (as the page does with every track it sends) releases both.
 */
import { createRnnoiseNode, SAMPLE_RATE } from './rnnoise-node.ts';

interface Chain {
  microphone: MediaStreamTrack;
  /** Closes the audio context; the microphone stays open. */
  close(): void;
  /** Stops the denoised track itself (the native `stop`). */
  end(): void;
}

const chains = new WeakMap<MediaStreamTrack, Chain>();

/** The microphone behind a denoised track; any other track is its own. */
export function microphoneOf(track: MediaStreamTrack): MediaStreamTrack {
  return chains.get(track)?.microphone ?? track;
}

export function isDenoised(track: MediaStreamTrack): boolean {
  return chains.has(track);
}

/** Starts denoising `microphone`; throws a NoiseSuppressionError (or the browser's) when it cannot. */
export async function denoise(microphone: MediaStreamTrack): Promise<MediaStreamTrack> {
  const context = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
  let source: MediaStreamAudioSourceNode;
  let node: AudioWorkletNode;
  try {
    // Firefox refuses a source whose rate differs from the context's: that, too, is a fallback.
    source = context.createMediaStreamSource(new MediaStream([microphone]));
    node = await createRnnoiseNode(context);
  } catch (error) {
    void context.close().catch(() => {});
    throw error;
  }
  const destination = context.createMediaStreamDestination();
  destination.channelCount = 1;
  source.connect(node).connect(destination);
  const track = destination.stream.getAudioTracks()[0]!;

  // A context made before any click may start suspended: the next click or key (Join) resumes it.
  const resume = () => void context.resume().catch(() => {});
  const gestures = ['pointerdown', 'keydown'] as const;
  for (const g of gestures) document.addEventListener(g, resume, { capture: true });
  if (context.state === 'suspended') resume();

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const g of gestures) document.removeEventListener(g, resume, { capture: true });
    node.port.postMessage('destroy');
    source.disconnect();
    void context.close().catch(() => {});
  };
  const nativeStop = track.stop.bind(track);
  const end = () => nativeStop();
  // Everything that stops the sent track (leaving, switching microphones) releases the microphone.
  track.stop = () => {
    close();
    end();
    microphone.stop();
  };
  // The microphone ended (unplugged, revoked): nothing more to denoise.
  microphone.addEventListener('ended', () => {
    close();
    end();
  });
  chains.set(track, { microphone, close, end });
  return track;
}

/** Stops denoising `track` but keeps its microphone open (noise suppression switched off). */
export function undenoise(track: MediaStreamTrack): void {
  const chain = chains.get(track);
  if (!chain) return;
  chains.delete(track);
  chain.close();
  chain.end();
}
