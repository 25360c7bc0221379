import { E2eeError } from '../errors.ts';
import type { EpochKeys } from '../sframe/key-store.ts';
import type { FrameSender } from './frame-cryptor.ts';
import type { FrameTransformOptions, WorkerRequest } from './messages.ts';

/**
 * Page side: connects RTP senders/receivers to the media encryption worker.
 * RTCRtpScriptTransform where available; otherwise the legacy createEncodedStreams (the
 * RTCPeerConnection must then be created with `encodedInsertableStreams: true`).
 */

interface LegacyEncodedStreams {
  readable: ReadableStream;
  writable: WritableStream;
}

type RtpEndpoint = (RTCRtpSender | RTCRtpReceiver) & { createEncodedStreams?: () => LegacyEncodedStreams };

export type AttachMode = 'script-transform' | 'encoded-streams';

export function attachFrameTransform(
  worker: Worker,
  endpoint: RTCRtpSender | RTCRtpReceiver,
  options: FrameTransformOptions,
): AttachMode {
  const target = endpoint as RtpEndpoint;
  if (typeof globalThis.RTCRtpScriptTransform === 'function') {
    target.transform = new RTCRtpScriptTransform(worker, options);
    return 'script-transform';
  }
  if (typeof target.createEncodedStreams === 'function') {
    const { readable, writable } = target.createEncodedStreams();
    const request: WorkerRequest = { type: 'attach-streams', readable, writable, options };
    worker.postMessage(request, [readable as unknown as Transferable, writable as unknown as Transferable]);
    return 'encoded-streams';
  }
  throw new E2eeError(
    'INVALID_ARGUMENT',
    'this browser supports neither RTCRtpScriptTransform nor encoded streams',
  );
}

/** Sends the SFrame base key of a new MLS epoch to the worker. */
export function postEpochKeys(worker: Worker, keys: EpochKeys): void {
  const request: WorkerRequest = { type: 'install-epoch', ...keys };
  worker.postMessage(request);
}

/** Tells the worker to forget all keys (leaving the meeting). */
export function postClearKeys(worker: Worker): void {
  const request: WorkerRequest = { type: 'clear-keys' };
  worker.postMessage(request);
}

/** Binds a decrypting receiver to the member and source it may show (null: none, drop all). */
export function postBindReceiver(worker: Worker, receiverId: string, sender: FrameSender | null): void {
  const request: WorkerRequest = { type: 'bind-receiver', receiverId, sender };
  worker.postMessage(request);
}

/** Forgets a receiver's binding (its consumer closed). */
export function postReleaseReceiver(worker: Worker, receiverId: string): void {
  const request: WorkerRequest = { type: 'release-receiver', receiverId };
  worker.postMessage(request);
}
