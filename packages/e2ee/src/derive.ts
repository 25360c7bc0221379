import { type Bytes, bytesToHex, utf8Encode } from './bytes.ts';
import { E2eeError } from './errors.ts';
import { hkdfExpand, hkdfExtract } from './hkdf.ts';
import { isMeetingId, passwordBytes } from './link.ts';

/** Secrets derived from the meeting password (protocol v1 §2). */
export interface MeetingSecrets {
  meetingId: string;
  /** SRP password P: 32 derived bytes as 64 lower-case hex characters. */
  srpSecret: string;
  /** MLS external PSK value (32 bytes). */
  mlsPsk: Bytes;
  /** MLS external PSK id: UTF-8 of "conclave/v1/psk/" || meetingId. */
  pskId: Bytes;
  /** HMAC key binding MLS credentials to the password (32 bytes). */
  credKey: Bytes;
  /** AES-128-GCM key for display names sealed in the lobby (16 bytes). */
  nameKey: Bytes;
}

export const DERIVATION_LABELS = {
  saltPrefix: 'conclave/v1/',
  srp: 'conclave/v1 srp',
  mlsPsk: 'conclave/v1 mls psk',
  credential: 'conclave/v1 credential',
  displayName: 'conclave/v1 display name',
  pskIdPrefix: 'conclave/v1/psk/',
} as const;

/**
 * Derives all password-based secrets with HKDF-SHA256:
 * PRK = HKDF-Extract(salt = "conclave/v1/" || meetingId, IKM = the 16 password bytes).
 */
export async function deriveMeetingSecrets(meetingId: string, password: string): Promise<MeetingSecrets> {
  if (!isMeetingId(meetingId)) {
    throw new E2eeError('LINK_BAD_MEETING_ID', 'meeting ID must be canonical (see normalizeMeetingId)');
  }
  const ikm = passwordBytes(password);
  const prk = await hkdfExtract('SHA-256', utf8Encode(DERIVATION_LABELS.saltPrefix + meetingId), ikm);
  const [srp, mlsPsk, credKey, nameKey] = await Promise.all([
    hkdfExpand('SHA-256', prk, utf8Encode(DERIVATION_LABELS.srp), 32),
    hkdfExpand('SHA-256', prk, utf8Encode(DERIVATION_LABELS.mlsPsk), 32),
    hkdfExpand('SHA-256', prk, utf8Encode(DERIVATION_LABELS.credential), 32),
    hkdfExpand('SHA-256', prk, utf8Encode(DERIVATION_LABELS.displayName), 16),
  ]);
  return {
    meetingId,
    srpSecret: bytesToHex(srp),
    mlsPsk,
    pskId: utf8Encode(DERIVATION_LABELS.pskIdPrefix + meetingId),
    credKey,
    nameKey,
  };
}
