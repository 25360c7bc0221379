import { type Bytes, concatBytes } from '../bytes.ts';
import { E2eeError, type E2eeErrorCode, isE2eeError } from '../errors.ts';
import type { SFrameKeyStore } from '../sframe/key-store.ts';
import { MediaContext, type MediaContextName } from '../sframe/mls-kid.ts';
import { clearPrefixLength, type FrameCodec } from './codec.ts';

/**
 * Encrypts and decrypts encoded media frames:
 *
 *   frame on the wire = clear prefix || SFrame header || ciphertext || tag
 *   SFrame metadata (AAD after the header) = clear prefix
 *
 * Never throws: a frame that cannot be processed is dropped (undefined) and counted, so the
 * media pipeline keeps running and nothing unencrypted is ever sent.
 */

export type FailureCode = E2eeErrorCode | 'INTERNAL';

/**
 * Whose frames a receiver shows: the MLS leaf and media source that the members' own MLS roster
 * messages give for it, never the SFU's word. `null` while no roster entry names it yet.
 */
export interface FrameSender {
  leafIndex: number;
  context: MediaContextName;
}

export interface FrameCryptorStats {
  encrypted: number;
  decrypted: number;
  /** Empty frames pass through unchanged in both directions. */
  passedEmpty: number;
  encryptFailures: Partial<Record<FailureCode, number>>;
  decryptFailures: Partial<Record<FailureCode, number>>;
}

export class FrameCryptor {
  readonly keys: SFrameKeyStore;
  readonly #stats: FrameCryptorStats = {
    encrypted: 0,
    decrypted: 0,
    passedEmpty: 0,
    encryptFailures: {},
    decryptFailures: {},
  };

  constructor(keys: SFrameKeyStore) {
    this.keys = keys;
  }

  /** Returns the frame to send, or undefined if it must be dropped. */
  async encryptFrame(
    frame: Uint8Array,
    codec: FrameCodec,
    context: MediaContextName,
  ): Promise<Bytes | undefined> {
    if (frame.length === 0) {
      this.#stats.passedEmpty++;
      return new Uint8Array(0);
    }
    try {
      const prefixLength = clearPrefixLength(codec, frame);
      const prefix = frame.subarray(0, prefixLength);
      const sframe = await this.keys.encrypt(MediaContext[context], prefix, frame.subarray(prefixLength));
      this.#stats.encrypted++;
      return concatBytes(prefix, sframe);
    } catch (error) {
      count(this.#stats.encryptFailures, error);
      return undefined;
    }
  }

  /**
   * Returns the decrypted frame, or undefined if it must be dropped: among others, when its KID
   * names another member or source than `sender`, or when there is no sender to expect yet.
   * `onFailure` learns why (after the failure is counted).
   */
  async decryptFrame(
    frame: Uint8Array,
    codec: FrameCodec,
    sender: FrameSender | null,
    onFailure?: (code: FailureCode) => void,
  ): Promise<Bytes | undefined> {
    if (frame.length === 0) {
      this.#stats.passedEmpty++;
      return new Uint8Array(0);
    }
    try {
      if (!sender) throw new E2eeError('SFRAME_UNBOUND_RECEIVER', 'no member is known for this receiver yet');
      const prefixLength = clearPrefixLength(codec, frame);
      const prefix = frame.subarray(0, prefixLength);
      const { plaintext } = await this.keys.decrypt(prefix, frame.subarray(prefixLength), {
        leafIndex: sender.leafIndex,
        context: MediaContext[sender.context],
      });
      this.#stats.decrypted++;
      return concatBytes(prefix, plaintext);
    } catch (error) {
      const code = count(this.#stats.decryptFailures, error);
      onFailure?.(code);
      return undefined;
    }
  }

  /** A snapshot of the counters. */
  stats(): FrameCryptorStats {
    return {
      ...this.#stats,
      encryptFailures: { ...this.#stats.encryptFailures },
      decryptFailures: { ...this.#stats.decryptFailures },
    };
  }
}

function count(failures: Partial<Record<FailureCode, number>>, error: unknown): FailureCode {
  const code: FailureCode = isE2eeError(error) ? error.code : 'INTERNAL';
  failures[code] = (failures[code] ?? 0) + 1;
  return code;
}
