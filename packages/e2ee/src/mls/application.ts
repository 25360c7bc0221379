/**
 * Application messages (chat, roster, reactions, raised hands, host notices, recording notices) as MLS
 * application data, in a two-byte envelope: version (1) || kind code || body.
 */
import { createApplicationMessage } from 'ts-mls';
import { utf8 } from './crypto/bytes.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import { MlsGroupError, wrapError } from './errors.ts';
import { type MeetingGroup, zeroAll } from './group.ts';
import { encodePrivateMessage } from './wire.ts';

export const APP_MESSAGE_KINDS = {
  /** UTF-8 chat text. */
  chat: 1,
  /** Roster entry: leaf index → display name, SFU producer ids (body format owned by the client). */
  roster: 2,
  /** UTF-8 reaction (e.g. an emoji). */
  reaction: 3,
  /** Raise / lower hand. */
  hand: 4,
  /** Host notice (mute request, lock, end of meeting...). */
  host: 5,
  /** Local recording notice: started / stopped, the host's ask-first preference, a request and its answer (JSON body owned by the client). */
  recording: 6,
} as const;

export type AppMessageKind = keyof typeof APP_MESSAGE_KINDS;

export interface AppMessage {
  kind: AppMessageKind;
  body: Uint8Array;
}

const ENVELOPE_VERSION = 1;
const KIND_BY_CODE = new Map<number, AppMessageKind>(
  Object.entries(APP_MESSAGE_KINDS).map(([k, v]) => [v, k as AppMessageKind]),
);

export function encodeAppMessage(message: AppMessage): Uint8Array {
  const code = APP_MESSAGE_KINDS[message.kind];
  if (code === undefined)
    throw new MlsGroupError('invalid-operation', `unknown message kind ${message.kind}`);
  const out = new Uint8Array(2 + message.body.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = code;
  out.set(message.body, 2);
  return out;
}

export function decodeAppMessage(bytes: Uint8Array): AppMessage {
  if (bytes.length < 2 || bytes[0] !== ENVELOPE_VERSION) {
    throw new MlsGroupError('malformed', 'application message envelope is not version 1');
  }
  const kind = KIND_BY_CODE.get(bytes[1]!);
  if (kind === undefined)
    throw new MlsGroupError('malformed', `unknown application message kind ${bytes[1]}`);
  return { kind, body: bytes.slice(2) };
}

export const textMessage = (kind: AppMessageKind, text: string): AppMessage => ({ kind, body: utf8(text) });
export const messageText = (message: AppMessage): string => new TextDecoder().decode(message.body);

/** Encrypts for the current epoch. Returns the MLSMessage bytes for the delivery service. */
export async function sendApplication(
  group: MeetingGroup,
  message: AppMessage,
): Promise<{ group: MeetingGroup; message: Uint8Array }> {
  if (group.state.groupActiveState.kind !== 'active') throw new MlsGroupError('not-member', 'not a member');
  const cs = await getSuite();
  let result: Awaited<ReturnType<typeof createApplicationMessage>>;
  try {
    result = await createApplicationMessage(group.state, encodeAppMessage(message), cs);
  } catch (e) {
    throw wrapError('invalid-operation', 'cannot encrypt application message', e);
  }
  zeroAll(result.consumed);
  return {
    group: { state: result.newState, keys: group.keys },
    message: encodePrivateMessage(result.privateMessage),
  };
}
