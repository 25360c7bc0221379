/** Decoding MLS wire messages into the objects the rest of the module works on, with typed errors. */
import {
  decodeMlsMessage,
  encodeMlsMessage,
  type KeyPackage,
  type MLSMessage,
  type PrivateMessage,
  type PublicMessage,
  type Welcome,
} from 'ts-mls';
import { MlsGroupError } from './errors.ts';

export function decodeMessage(bytes: Uint8Array): MLSMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new MlsGroupError('malformed', 'empty or non-byte MLS message');
  }
  let decoded: [MLSMessage, number] | undefined;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch (e) {
    throw new MlsGroupError('malformed', 'MLS message does not decode', { cause: e });
  }
  if (decoded === undefined) throw new MlsGroupError('malformed', 'MLS message does not decode');
  if (decoded[1] !== bytes.length) throw new MlsGroupError('malformed', 'trailing bytes after MLS message');
  if (decoded[0].version !== 'mls10') throw new MlsGroupError('malformed', 'unsupported MLS version');
  return decoded[0];
}

export function decodeKeyPackageMessage(bytes: Uint8Array): KeyPackage {
  const msg = decodeMessage(bytes);
  if (msg.wireformat !== 'mls_key_package') throw new MlsGroupError('malformed', 'not a KeyPackage');
  return msg.keyPackage;
}

export function decodeWelcomeMessage(bytes: Uint8Array): Welcome {
  const msg = decodeMessage(bytes);
  if (msg.wireformat !== 'mls_welcome') throw new MlsGroupError('malformed', 'not a Welcome');
  return msg.welcome;
}

export const encodeKeyPackageMessage = (keyPackage: KeyPackage): Uint8Array =>
  encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage });

export const encodeWelcomeMessage = (welcome: Welcome): Uint8Array =>
  encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome });

export const encodePrivateMessage = (privateMessage: PrivateMessage): Uint8Array =>
  encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage });

export const encodePublicMessage = (publicMessage: PublicMessage): Uint8Array =>
  encodeMlsMessage({ version: 'mls10', wireformat: 'mls_public_message', publicMessage });

/** What a delivery service (or its client) may read from a message without any key. */
export interface MessageSummary {
  kind: 'commit' | 'proposal' | 'application' | 'welcome' | 'key-package' | 'group-info';
  /** For commits, proposals and application messages. */
  groupId?: Uint8Array;
  /** The epoch the message was sent in; a commit moves the group from this epoch to the next. */
  epoch?: bigint;
}

export function inspectMessage(bytes: Uint8Array): MessageSummary {
  const msg = decodeMessage(bytes);
  switch (msg.wireformat) {
    case 'mls_private_message':
      return {
        kind: msg.privateMessage.contentType,
        groupId: msg.privateMessage.groupId,
        epoch: msg.privateMessage.epoch,
      };
    case 'mls_public_message': {
      const c = msg.publicMessage.content;
      return { kind: c.contentType, groupId: c.groupId, epoch: c.epoch };
    }
    case 'mls_welcome':
      return { kind: 'welcome' };
    case 'mls_key_package':
      return { kind: 'key-package' };
    case 'mls_group_info':
      return { kind: 'group-info' };
  }
}
