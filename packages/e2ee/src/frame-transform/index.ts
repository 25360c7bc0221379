export {
  type AttachMode,
  attachFrameTransform,
  postBindReceiver,
  postClearKeys,
  postEpochKeys,
  postReleaseReceiver,
} from './attach.ts';
export {
  clearPrefixLength,
  type FrameCodec,
  frameCodec,
  isVp8KeyFrame,
  OPUS_PREFIX,
  VP8_DELTA_FRAME_PREFIX,
  VP8_KEY_FRAME_PREFIX,
} from './codec.ts';
export { type FailureCode, FrameCryptor, type FrameCryptorStats, type FrameSender } from './frame-cryptor.ts';
export type {
  FrameTransformOptions,
  ReceiverFrameStats,
  ReceiverReport,
  WorkerRequest,
  WorkerResponse,
} from './messages.ts';
export {
  createFrameTransformStream,
  type EncodedFrameLike,
  type FrameCryptoWorker,
  installFrameCryptoWorker,
  type ReceiverBinding,
  type WorkerScopeLike,
} from './worker.ts';
