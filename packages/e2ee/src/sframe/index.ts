export { type AeadKey, importAeadKey, importCtrHmacAeadKey } from './aead.ts';
export {
  type DecodedHeader,
  decodeHeader,
  encodeHeader,
  headerLength,
  MAX_HEADER_LENGTH,
  type SFrameHeader,
} from './header.ts';
export {
  deriveSFrameKey,
  deriveSFrameKeyMaterial,
  importSFrameKey,
  type SFrameKey,
  type SFrameKeyMaterial,
  sframeKeyLabel,
  sframeSaltLabel,
} from './key-derivation.ts';
export {
  type SFrameDecryptResult,
  type SFrameKeyLookup,
  sframeDecrypt,
  sframeEncrypt,
  sframeNonce,
} from './sframe.ts';
export {
  CipherSuite,
  type CipherSuiteId,
  DEFAULT_CIPHER_SUITE,
  type SuiteParams,
  suiteParams,
} from './suites.ts';
export {
  type DecryptedFrame,
  type EpochKeys,
  SFrameKeyStore,
  type SFrameKeyStoreOptions,
} from './key-store.ts';
export {
  EPOCH_BITS,
  isMediaContext,
  MediaContext,
  type MediaContextId,
  type MediaContextName,
  type MlsKidParts,
  mlsKid,
  parseMlsKid,
  senderIndexBits,
} from './mls-kid.ts';
export { ReplayWindow } from './replay-window.ts';
