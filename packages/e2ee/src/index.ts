export {
  base64urlToBytes,
  type Bytes,
  bytesToBase64url,
  bytesToHex,
  concatBytes,
  hexToBytes,
  randomBytes,
  timingSafeEqual,
  utf8Decode,
  utf8Encode,
} from './bytes.ts';
export * from './derive.ts';
export * from './errors.ts';
export * from './link.ts';
export * from './name-seal.ts';
export * from './sframe/index.ts';
export * from './srp-client.ts';
export * from './frame-transform/index.ts';
export * from './mls/index.ts';
