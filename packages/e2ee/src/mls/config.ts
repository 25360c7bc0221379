/** Meeting-wide MLS parameters: secrets from the link, capabilities, client config, PSK index. */
import {
  bytesToBase64,
  type Capabilities,
  type ClientConfig,
  type ClientState,
  defaultKeyPackageEqualityConfig,
  defaultLifetimeConfig,
  type KeyRetentionConfig,
  makePskIndex,
  type PskIndex,
} from 'ts-mls';
import { meetingAuthenticationService } from './credential.ts';
import { utf8 } from './crypto/bytes.ts';
import { SUITE_NAME } from './crypto/ciphersuite.ts';
import { MlsGroupError } from './errors.ts';

/** What a member knows from the meeting link (see `deriveMeetingSecrets`). */
export interface MeetingKeys {
  /** MLS external PSK value (32 bytes). */
  mlsPsk: Uint8Array;
  /** MLS external PSK id; a string is UTF-8 encoded. */
  pskId: Uint8Array | string;
  /** HMAC key binding credentials to the password (32 bytes). */
  credKey: Uint8Array;
}

export interface ResolvedKeys {
  readonly mlsPsk: Uint8Array;
  readonly pskId: Uint8Array;
  readonly credKey: Uint8Array;
  readonly clientConfig: ClientConfig;
}

/**
 * Only what Conclave uses: smaller leaves mean a smaller Welcome (the ratchet tree rides in it)
 * and cheaper decoding. No GREASE: every client is served by the same deployment.
 */
export const MEETING_CAPABILITIES: Capabilities = {
  versions: ['mls10'],
  ciphersuites: [SUITE_NAME],
  extensions: [],
  proposals: [],
  credentials: ['basic'],
};

const keyRetention: KeyRetentionConfig = {
  // Previous epochs kept for late application messages; media uses exporter keys, not these.
  retainKeysForEpochs: 2,
  retainKeysForGenerations: 32,
  maximumForwardRatchetSteps: 1000,
};

export function resolveKeys(keys: MeetingKeys): ResolvedKeys {
  if (!(keys.mlsPsk instanceof Uint8Array) || keys.mlsPsk.length < 16) {
    throw new MlsGroupError('invalid-operation', 'mlsPsk must be at least 16 bytes');
  }
  if (!(keys.credKey instanceof Uint8Array) || keys.credKey.length < 16) {
    throw new MlsGroupError('invalid-operation', 'credKey must be at least 16 bytes');
  }
  const pskId = typeof keys.pskId === 'string' ? utf8(keys.pskId) : keys.pskId;
  if (!(pskId instanceof Uint8Array) || pskId.length === 0) {
    throw new MlsGroupError('invalid-operation', 'pskId must not be empty');
  }
  return {
    mlsPsk: keys.mlsPsk,
    pskId,
    credKey: keys.credKey,
    clientConfig: {
      keyRetentionConfig: keyRetention,
      lifetimeConfig: defaultLifetimeConfig,
      keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
      paddingConfig: { kind: 'padUntilLength', padUntilLength: 256 },
      authService: meetingAuthenticationService(keys.credKey),
    },
  };
}

export function pskIndexFor(keys: ResolvedKeys, state: ClientState | undefined): PskIndex {
  return makePskIndex(state, { [bytesToBase64(keys.pskId)]: keys.mlsPsk });
}
