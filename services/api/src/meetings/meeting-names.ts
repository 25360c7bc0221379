import { createHmac } from 'node:crypto';

/**
 * The names a meeting is stored and served under. The database never holds a meeting ID, SFU
 * room ID or MLS group ID in the clear: a row is named by a keyed hash of the meeting ID, and
 * the room and group IDs are keyed hashes of that name and a generation counter. A copy of the
 * database (a backup, a volume, a WAL segment or dead tuple left after a delete) then links
 * nothing to a meeting link, an SFU room or a DS group without the API's state key, and a
 * deleted meeting leaves no ID behind to recognise.
 *
 * Everything is derived, so the key must stay the same for as long as the meetings should
 * (docs/configuration.md, CONCLAVE_STATE_KEY).
 */
export class MeetingNames {
  readonly #key: Buffer;

  /** `key`: the `naming` subkey of CONCLAVE_STATE_KEY (state-keys.ts). */
  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The row name of a meeting ID: 128 bits, 22 base64url characters. */
  storageName(meetingId: string): string {
    return this.#mac(`meeting\0${meetingId}`);
  }

  /** The opaque SFU room ID of a stored meeting in its current generation. */
  sfuRoomId(storageName: string, generation: number): string {
    return this.#mac(`sfu-room\0${storageName}\0${generation}`);
  }

  /** The opaque MLS group ID (the DS's group key) of a stored meeting in its current generation. */
  mlsGroupId(storageName: string, generation: number): string {
    return this.#mac(`mls-group\0${storageName}\0${generation}`);
  }

  #mac(input: string): string {
    return createHmac('sha256', this.#key).update(input).digest().subarray(0, 16).toString('base64url');
  }
}

/** Length of every name above (128 bits in base64url); meeting IDs (meeting-id.ts) are 10. */
export const STORAGE_NAME_LENGTH = 22;
