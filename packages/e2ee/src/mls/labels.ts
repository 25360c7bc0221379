/** RFC 9420 §5.1.2 SignWithLabel content: SignContent { opaque label<V> = "MLS 1.0 " + Label; opaque content<V>; }. */
import { composeBufferEncoders, encode } from 'ts-mls/codec/tlsEncoder.js';
import { varLenDataEncoder } from 'ts-mls/codec/variableLength.js';
import { utf8 } from './crypto/bytes.ts';

const signContentEncoder = encode(composeBufferEncoders([varLenDataEncoder, varLenDataEncoder]));

export function labeledSignContent(label: string, content: Uint8Array): Uint8Array {
  return signContentEncoder([utf8(`MLS 1.0 ${label}`), content]);
}
