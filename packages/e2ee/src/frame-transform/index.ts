export { type AttachMode, attachFrameTransform, postClearKeys, postEpochKeys } from './attach.ts';
export {
  clearPrefixLength,
  type FrameCodec,
  frameCodec,
  isVp8KeyFrame,
  OPUS_PREFIX,
  VP8_DELTA_FRAME_PREFIX,
  VP8_KEY_FRAME_PREFIX,
} from './codec.ts';
export { type FailureCode, FrameCryptor, type FrameCryptorStats } from './frame-cryptor.ts';
export type { FrameTransformOptions, WorkerRequest, WorkerResponse } from './messages.ts';
export {
  createFrameTransformStream,
  type EncodedFrameLike,
  type FrameCryptoWorker,
  installFrameCryptoWorker,
  type WorkerScopeLike,
} from './worker.ts';
