import { base64urlToBytes, bytesToBase64url, randomBytes } from './bytes.ts';
import { E2eeError, type E2eeErrorCode } from './errors.ts';

/**
 * Meeting links: `https://HOST/m/<meetingId>#<password>` for guests and
 * `https://HOST/m/<meetingId>#<password>.<hostSecret>` for the host.
 *
 * - meetingId: 10 characters of Crockford base32 (50 bits), canonical upper case.
 * - password and hostSecret: 128 random bits each, unpadded base64url (22 characters).
 *   base64url never contains '.', so the separator is unambiguous.
 *
 * The fragment never reaches a server; callers must keep it out of requests and logs.
 */

export const MEETING_ID_LENGTH = 10;
export const SECRET_BYTES = 16;
export const SECRET_TEXT_LENGTH = 22;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const MEETING_ID_PATTERN = /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{10}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export interface MeetingLink {
  /** Origin of the server, e.g. `https://meet.example.org` (no trailing slash). */
  origin: string;
  meetingId: string;
  password: string;
  /** Present only in the host link. */
  hostSecret?: string;
}

function fail(code: E2eeErrorCode, message: string): never {
  throw new E2eeError(code, message);
}

/** True for a canonical meeting ID (10 upper-case Crockford base32 characters). */
export function isMeetingId(value: string): boolean {
  return MEETING_ID_PATTERN.test(value);
}

/**
 * Validates a meeting ID and returns its canonical form. Lower case is accepted (people retype
 * IDs); the ambiguous letters I, L, O, U are refused rather than guessed.
 */
export function normalizeMeetingId(value: string): string {
  const upper = value.toUpperCase();
  if (!MEETING_ID_PATTERN.test(upper)) {
    fail('LINK_BAD_MEETING_ID', 'meeting ID must be 10 Crockford base32 characters');
  }
  return upper;
}

function isSecret(value: string): boolean {
  if (!SECRET_PATTERN.test(value)) return false;
  try {
    return base64urlToBytes(value).length === SECRET_BYTES;
  } catch {
    return false; // non-canonical trailing bits
  }
}

/** Validates a password (22 characters of canonical base64url, 128 bits). */
export function assertPassword(value: string): void {
  if (!isSecret(value)) fail('LINK_BAD_PASSWORD', 'password must be 22 base64url characters (128 bits)');
}

export function assertHostSecret(value: string): void {
  if (!isSecret(value)) {
    fail('LINK_BAD_HOST_SECRET', 'host secret must be 22 base64url characters (128 bits)');
  }
}

/** The 16 bytes a password encodes (input keying material of the derivations). */
export function passwordBytes(password: string): Uint8Array<ArrayBuffer> {
  assertPassword(password);
  return base64urlToBytes(password);
}

/** A fresh meeting ID: 50 random bits in Crockford base32. Normally chosen by the server. */
export function generateMeetingId(): string {
  const bytes = randomBytes(MEETING_ID_LENGTH);
  let out = '';
  for (const byte of bytes) out += CROCKFORD[byte & 31]!;
  return out;
}

/** A fresh 128-bit meeting password (22 characters). */
export function generatePassword(): string {
  return bytesToBase64url(randomBytes(SECRET_BYTES));
}

/** A fresh 128-bit host secret (22 characters). */
export function generateHostSecret(): string {
  return bytesToBase64url(randomBytes(SECRET_BYTES));
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/**
 * Parses and validates a meeting link. `https:` is required, except `http:` for loopback hosts
 * (development). A query string is ignored; user info, extra path segments or a malformed
 * fragment are refused.
 */
export function parseMeetingLink(link: string): MeetingLink {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return fail('LINK_MALFORMED', 'not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    fail('LINK_BAD_SCHEME', 'meeting links must use https');
  }
  if (url.username !== '' || url.password !== '') fail('LINK_MALFORMED', 'credentials in a link are refused');
  const match = /^\/m\/([^/]+)$/.exec(url.pathname);
  if (!match) fail('LINK_BAD_PATH', 'expected path /m/<meetingId>');
  const meetingId = normalizeMeetingId(match[1]!);

  const fragment = url.hash.startsWith('#') ? url.hash.slice(1) : '';
  if (fragment === '') fail('LINK_BAD_PASSWORD', 'the link has no password fragment');
  const parts = fragment.split('.');
  if (parts.length > 2) fail('LINK_MALFORMED', 'fragment has too many parts');
  const password = parts[0]!;
  assertPassword(password);
  const parsed: MeetingLink = { origin: url.origin, meetingId, password };
  if (parts.length === 2) {
    const hostSecret = parts[1]!;
    assertHostSecret(hostSecret);
    parsed.hostSecret = hostSecret;
  }
  return parsed;
}

/** Formats a meeting link; with `hostSecret` it is the host link. Inputs are validated. */
export function formatMeetingLink(link: MeetingLink): string {
  let origin: URL;
  try {
    origin = new URL(link.origin);
  } catch {
    return fail('LINK_MALFORMED', 'origin is not an absolute URL');
  }
  if (origin.protocol !== 'https:' && !(origin.protocol === 'http:' && isLoopback(origin.hostname))) {
    fail('LINK_BAD_SCHEME', 'meeting links must use https');
  }
  if (!isMeetingId(link.meetingId)) fail('LINK_BAD_MEETING_ID', 'meeting ID is not canonical');
  assertPassword(link.password);
  let fragment = link.password;
  if (link.hostSecret !== undefined) {
    assertHostSecret(link.hostSecret);
    fragment += '.' + link.hostSecret;
  }
  return `${origin.origin}/m/${link.meetingId}#${fragment}`;
}
