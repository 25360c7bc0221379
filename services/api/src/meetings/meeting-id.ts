import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A fresh meeting ID: 50 random bits as 10 Crockford base32 characters. */
export function newMeetingId(): string {
  const bytes = randomBytes(7); // 56 bits, the top 50 are used
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  bits >>= 6n;
  let id = '';
  for (let i = 0; i < 10; i++) {
    id = CROCKFORD[Number(bits & 31n)] + id;
    bits >>= 5n;
  }
  return id;
}
