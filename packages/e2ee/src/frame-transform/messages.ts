import type { EpochKeys } from '../sframe/key-store.ts';
import type { MediaContextName } from '../sframe/mls-kid.ts';
import type { FailureCode, FrameCryptorStats, FrameSender } from './frame-cryptor.ts';

/** Per-transform options, given to RTCRtpScriptTransform or with legacy streams. */
export interface FrameTransformOptions {
  operation: 'encrypt' | 'decrypt';
  /**
   * Codec name or MIME type ("vp8", "video/VP8", "opus"). The frame's own metadata mimeType
   * wins when the browser provides it; this is the fallback.
   */
  codec?: string;
  /** Which media source of this member the sender carries; required to encrypt. */
  context?: MediaContextName;
  /**
   * Names a decrypting transform, required to decrypt: the page binds it to the member and
   * source it may show (`bind-receiver`); until then, and for frames of anyone else, it drops.
   */
  receiverId?: string;
}

/** Messages from the page to the frame-encryption worker. */
export type WorkerRequest =
  | ({ type: 'install-epoch' } & EpochKeys)
  | { type: 'clear-keys' }
  | { type: 'get-stats'; requestId?: number }
  /** The sender a receiver's frames must come from, from the MLS roster; null: nobody (drop). */
  | { type: 'bind-receiver'; receiverId: string; sender: FrameSender | null }
  | { type: 'release-receiver'; receiverId: string }
  | {
      type: 'attach-streams';
      readable: ReadableStream;
      writable: WritableStream;
      options: FrameTransformOptions;
    };

/** One decrypting transform's frames: decrypted, dropped by reason, and whether its stream ended. */
export interface ReceiverFrameStats {
  decrypted: number;
  dropped: Partial<Record<FailureCode, number>>;
  ended?: string;
}

/** A receiver's frame counts as the page reads them, with whether it is bound to a sender now. */
export type ReceiverReport = ReceiverFrameStats & { bound: boolean };

/** Messages from the worker to the page. */
export type WorkerResponse =
  | {
      type: 'stats';
      requestId?: number;
      stats: FrameCryptorStats;
      /** Per receiver ID (a consumer's), with whether it is bound to a sender now. */
      receivers?: Record<string, ReceiverReport>;
    }
  | { type: 'error'; code: string; message: string }
  /** A receiver got a frame of another member or source than it is bound to (once per binding). */
  | { type: 'wrong-sender'; receiverId: string };
