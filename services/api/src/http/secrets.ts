import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 128 random bits, base64url: the form of session, room and group IDs. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

export function sha256(value: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(value).digest());
}

/** SHA-256 as base64url text: how the ephemeral store names and holds what it must not keep in clear. */
export function sha256Text(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads `Authorization: Bearer <secret>`; undefined when absent or of another scheme. */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(header);
  return match?.[1];
}
