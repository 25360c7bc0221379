import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What the server must remember between the two SRP round trips, sealed into the client's hands. */
export interface JoinState {
  /** Random ID that makes the state single-use. */
  id: string;
  meetingId: string;
  b: bigint;
  B: bigint;
  /** Expiry, milliseconds since the epoch. */
  exp: number;
}

export type UnsealResult =
  | { ok: true; state: JoinState }
  | { ok: false; code: 'join_state_invalid' | 'join_state_expired' };

/** 2: sealed with the sealing subkey of the state key (1 used the state key itself; refused). */
const VERSION = 2;
const AAD = Buffer.from('conclave srp join state v2');

/**
 * AES-256-GCM sealing of the SRP server state. Any API instance holding the key can finish a
 * handshake another began, so no server-side session store is needed; single use is enforced
 * separately with a short-lived "claimed" marker.
 */
export class JoinStateSealer {
  readonly #key: Buffer;
  readonly #now: () => number;

  constructor(key: Buffer, now: () => number = Date.now) {
    if (key.length !== 32) throw new Error('join state key must be 32 bytes');
    this.#key = key;
    this.#now = now;
  }

  seal(state: JoinState): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(AAD);
    const plain = Buffer.from(
      JSON.stringify([state.id, state.meetingId, state.b.toString(16), state.B.toString(16), state.exp]),
    );
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  unseal(sealed: string): UnsealResult {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 1 + 12 + 16 + 2 || raw[0] !== VERSION) return { ok: false, code: 'join_state_invalid' };
    const iv = raw.subarray(1, 13);
    const tag = raw.subarray(raw.length - 16);
    const body = raw.subarray(13, raw.length - 16);
    let fields: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAAD(AAD);
      decipher.setAuthTag(tag);
      fields = JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'));
    } catch {
      return { ok: false, code: 'join_state_invalid' };
    }
    if (!Array.isArray(fields) || fields.length !== 5) return { ok: false, code: 'join_state_invalid' };
    const [id, meetingId, b, B, exp] = fields as [string, string, string, string, number];
    if (exp <= this.#now()) return { ok: false, code: 'join_state_expired' };
    return { ok: true, state: { id, meetingId, b: BigInt(`0x${b}`), B: BigInt(`0x${B}`), exp } };
  }
}
