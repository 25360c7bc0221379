import { E2eeError, isE2eeError } from '../errors.ts';
import { SFrameKeyStore, type SFrameKeyStoreOptions } from '../sframe/key-store.ts';
import { frameCodec } from './codec.ts';
import { type FailureCode, FrameCryptor, type FrameSender } from './frame-cryptor.ts';
import type { FrameTransformOptions, WorkerRequest, WorkerResponse } from './messages.ts';
import { type ReceiverBinding, ReceiverBindings } from './receiver-bindings.ts';

export type { ReceiverBinding } from './receiver-bindings.ts';

/**
 * Worker side of media encryption: the `rtctransform` event of RTCRtpScriptTransform, legacy
 * streams from createEncodedStreams, and key updates, all by message.
 */

/** The parts of RTCEncodedVideoFrame / RTCEncodedAudioFrame used here. */
export interface EncodedFrameLike {
  data: ArrayBuffer;
  getMetadata?: () => { mimeType?: string };
}

/** Builds the TransformStream that encrypts or decrypts every frame passing through. */
export function createFrameTransformStream<F extends EncodedFrameLike>(
  cryptor: FrameCryptor,
  options: FrameTransformOptions,
  binding?: ReceiverBinding,
): TransformStream<F, F> {
  const fallbackCodec = options.codec;
  const context = options.context;
  if (options.operation === 'encrypt' && context === undefined) {
    throw new E2eeError('INVALID_ARGUMENT', 'an encrypting transform needs a media context');
  }
  if (options.operation === 'decrypt' && !binding) {
    throw new E2eeError('INVALID_ARGUMENT', 'a decrypting transform needs a receiver binding');
  }
  const onFailure = (code: FailureCode) => {
    binding?.counted?.(code);
    if (code === 'SFRAME_WRONG_SENDER') binding?.wrongSender?.();
  };
  return new TransformStream<F, F>({
    async transform(frame, controller) {
      let mimeType: string | undefined;
      try {
        mimeType = frame.getMetadata?.().mimeType;
      } catch {
        mimeType = undefined;
      }
      const codec = frameCodec(mimeType || fallbackCodec);
      const data = new Uint8Array(frame.data);
      const out =
        options.operation === 'encrypt'
          ? await cryptor.encryptFrame(data, codec, context!)
          : await cryptor.decryptFrame(data, codec, binding!.sender(), onFailure);
      if (out === undefined) return; // dropped and counted
      if (options.operation === 'decrypt') binding?.counted?.('decrypted');
      frame.data = out.buffer;
      controller.enqueue(frame);
    },
  });
}

/** The parts of a worker global scope used here (a fake one works in tests). */
export interface WorkerScopeLike {
  addEventListener(type: string, listener: (event: Event) => void): void;
  postMessage(message: unknown): void;
}

interface TransformerLike {
  readable: ReadableStream;
  writable: WritableStream;
  options?: unknown;
}

function isTransformOptions(value: unknown): value is FrameTransformOptions {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  return (
    (o['operation'] === 'encrypt' || o['operation'] === 'decrypt') &&
    (o['codec'] === undefined || typeof o['codec'] === 'string') &&
    (o['receiverId'] === undefined || typeof o['receiverId'] === 'string') &&
    (o['context'] === undefined ||
      o['context'] === 'mic' ||
      o['context'] === 'camera' ||
      o['context'] === 'screen')
  );
}

function isFrameSender(value: unknown): value is FrameSender | null {
  if (value === null) return true;
  if (typeof value !== 'object' || value === undefined) return false;
  const o = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(o['leafIndex']) &&
    (o['leafIndex'] as number) >= 0 &&
    (o['context'] === 'mic' || o['context'] === 'camera' || o['context'] === 'screen')
  );
}

function pipe(
  cryptor: FrameCryptor,
  bindings: ReceiverBindings,
  readable: ReadableStream,
  writable: WritableStream,
  options: unknown,
): void {
  if (!isTransformOptions(options)) throw new E2eeError('INVALID_ARGUMENT', 'bad frame transform options');
  const binding = options.receiverId === undefined ? undefined : bindings.of(options.receiverId);
  // A failed pipe (peer connection closed) ends this transform only; the receiver's stats say so.
  readable
    .pipeThrough(createFrameTransformStream(cryptor, options, binding))
    .pipeTo(writable)
    .then(
      () => binding?.ended?.('closed'),
      (error: unknown) =>
        binding?.ended?.(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
    );
}

export interface FrameCryptoWorker {
  keys: SFrameKeyStore;
  cryptor: FrameCryptor;
  bindings: ReceiverBindings;
  /** Handles one request as if it came by message (exposed for tests). */
  handle(request: WorkerRequest): void;
}

/** Installs the message and rtctransform handlers on a worker scope. */
export function installFrameCryptoWorker(
  scope: WorkerScopeLike,
  storeOptions: SFrameKeyStoreOptions = {},
): FrameCryptoWorker {
  const keys = new SFrameKeyStore(storeOptions);
  const cryptor = new FrameCryptor(keys);
  const reply = (message: WorkerResponse) => scope.postMessage(message);
  const bindings = new ReceiverBindings(reply);

  const handle = (request: WorkerRequest): void => {
    switch (request.type) {
      case 'install-epoch':
        keys.installEpoch(request);
        return;
      case 'clear-keys':
        keys.clear();
        return;
      case 'get-stats':
        reply({
          type: 'stats',
          requestId: request.requestId,
          stats: cryptor.stats(),
          receivers: bindings.stats(),
        });
        return;
      case 'bind-receiver':
        if (typeof request.receiverId !== 'string' || !isFrameSender(request.sender))
          throw new E2eeError('INVALID_ARGUMENT', 'bad receiver binding');
        bindings.bind(request.receiverId, request.sender);
        return;
      case 'release-receiver':
        bindings.release(String(request.receiverId));
        return;
      case 'attach-streams':
        pipe(cryptor, bindings, request.readable, request.writable, request.options);
        return;
      default:
        throw new E2eeError('INVALID_ARGUMENT', 'unknown worker request');
    }
  };

  scope.addEventListener('message', (event) => {
    const data = (event as MessageEvent).data as WorkerRequest;
    try {
      if (typeof data !== 'object' || data === null)
        throw new E2eeError('INVALID_ARGUMENT', 'bad worker request');
      handle(data);
    } catch (error) {
      reply({
        type: 'error',
        code: isE2eeError(error) ? error.code : 'INTERNAL',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  });

  scope.addEventListener('rtctransform', (event) => {
    const transformer = (event as Event & { transformer: TransformerLike }).transformer;
    try {
      pipe(cryptor, bindings, transformer.readable, transformer.writable, transformer.options);
    } catch (error) {
      reply({ type: 'error', code: isE2eeError(error) ? error.code : 'INTERNAL', message: String(error) });
    }
  });

  return { keys, cryptor, bindings, handle };
}
