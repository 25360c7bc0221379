/**
 * Serializing a member's group state, e.g. to survive a page reload. ts-mls 1.6.4 encodes
 * everything except its client config (callbacks), which is rebuilt from the meeting keys; the
 * keys themselves are not stored, the caller passes them again (they come from the link).
 *
 * The bytes hold the member's signature key and the current epoch secrets: store them like keys.
 */
import { decodeGroupState, encodeGroupState } from 'ts-mls';
import { type MeetingKeys, resolveKeys } from './config.ts';
import { MlsGroupError } from './errors.ts';
import type { MeetingGroup } from './group.ts';

const STATE_FORMAT = 1;

export function encodeMeetingGroup(group: MeetingGroup): Uint8Array {
  const body = encodeGroupState(group.state);
  const out = new Uint8Array(1 + body.length);
  out[0] = STATE_FORMAT;
  out.set(body, 1);
  return out;
}

export function decodeMeetingGroup(bytes: Uint8Array, meetingKeys: MeetingKeys): MeetingGroup {
  const keys = resolveKeys(meetingKeys);
  if (!(bytes instanceof Uint8Array) || bytes.length < 2 || bytes[0] !== STATE_FORMAT) {
    throw new MlsGroupError('malformed', 'not a Conclave MLS state (format 1)');
  }
  let decoded: ReturnType<typeof decodeGroupState>;
  try {
    // Decoded secrets are views into the buffer and get zeroed once consumed: never the caller's.
    decoded = decodeGroupState(bytes.slice(), 1);
  } catch (e) {
    throw new MlsGroupError('malformed', 'MLS state does not decode', { cause: e });
  }
  if (decoded === undefined || 1 + decoded[1] !== bytes.length) {
    throw new MlsGroupError('malformed', 'MLS state does not decode');
  }
  return { state: { ...decoded[0], clientConfig: keys.clientConfig }, keys };
}
