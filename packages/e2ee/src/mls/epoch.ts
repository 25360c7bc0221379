/** Per-epoch secrets exported to the rest of the client: the SFrame base key and the security code. */
import { mlsExporter } from 'ts-mls';
import { getSuite } from './crypto/ciphersuite.ts';
import { MlsGroupError } from './errors.ts';
import type { MeetingGroup } from './group.ts';

const EMPTY = new Uint8Array(0);

function requireActive(group: MeetingGroup): void {
  if (group.state.groupActiveState.kind !== 'active') throw new MlsGroupError('not-member', 'not a member');
}

/** RFC 9605 §5.2: base_key = MLS-Exporter("SFrame 1.0 Base Key", "", AEAD.Nk = 16). */
export async function mediaBaseKey(group: MeetingGroup): Promise<Uint8Array> {
  requireActive(group);
  return mlsExporter(
    group.state.keySchedule.exporterSecret,
    'SFrame 1.0 Base Key',
    EMPTY,
    16,
    await getSuite(),
  );
}

/** The 32 exporter bytes behind the security code. */
export async function securityCodeBytes(group: MeetingGroup): Promise<Uint8Array> {
  requireActive(group);
  return mlsExporter(
    group.state.keySchedule.exporterSecret,
    'conclave/v1 security code',
    EMPTY,
    32,
    await getSuite(),
  );
}

/**
 * The security code members compare out of band: 4 groups of 5 decimal digits from the first
 * 100 bits of MLS-Exporter("conclave/v1 security code", "", 32).
 *
 * Mapping: read the 32 bytes as a big-endian bit string (bit 0 = most significant bit of byte
 * 0). Group g (g = 0..3) is the 25-bit unsigned integer v_g formed by bits 25g .. 25g+24, most
 * significant first; it is shown as v_g mod 100000, left-padded with zeros to 5 digits. Groups
 * are joined with single spaces: "ddddd ddddd ddddd ddddd". (2^25 / 10^5 ≈ 335.5, so the
 * modulo bias is below 0.3% per group.)
 */
export function formatSecurityCode(bytes: Uint8Array): string {
  if (bytes.length < 13)
    throw new MlsGroupError('invalid-operation', 'security code needs at least 100 bits');
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let v = 0;
    for (let bit = 25 * g; bit < 25 * g + 25; bit++) {
      v = v * 2 + ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1);
    }
    groups.push(String(v % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}

export async function securityCode(group: MeetingGroup): Promise<string> {
  return formatSecurityCode(await securityCodeBytes(group));
}

/** The RFC 9420 epoch authenticator (an alternative code that needs no exporter label). */
export function epochAuthenticator(group: MeetingGroup): Uint8Array {
  return group.state.keySchedule.epochAuthenticator;
}
