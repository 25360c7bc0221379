/**
 * The STUN Binding request a browser sends as the controlling agent to an ICE-lite server
 * (mediasoup), for the thin WebRTC clients of the SFU benchmarks and of the web client's meeting
 * simulator (services/web/test/simulator).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** What a Binding request needs of the server's ICE parameters. */
export interface IceTarget {
  usernameFragment: string;
  password: string;
}

/**
 * STUN Binding request for an ICE-lite server (RFC 8445 §7.2.2, RFC 5389); repeated every few
 * seconds, it keeps the consent to send alive (RFC 7675).
 */
export function bindingRequest(target: IceTarget, localUfrag: string): Buffer {
  const attributes: Buffer[] = [];
  const attribute = (type: number, value: Buffer) => {
    const header = Buffer.alloc(4);
    header.writeUInt16BE(type, 0);
    header.writeUInt16BE(value.length, 2);
    const padding = Buffer.alloc((4 - (value.length % 4)) % 4);
    attributes.push(header, value, padding);
  };
  attribute(0x0006, Buffer.from(`${target.usernameFragment}:${localUfrag}`)); // USERNAME
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff, 0);
  attribute(0x0024, priority); // PRIORITY
  attribute(0x802a, randomBytes(8)); // ICE-CONTROLLING (tie breaker)
  attribute(0x0025, Buffer.alloc(0)); // USE-CANDIDATE
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(header, 8);
  let body = Buffer.concat(attributes);
  // MESSAGE-INTEGRITY: HMAC-SHA1 over the message with the length already counting it.
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', target.password).update(header).update(body).digest();
  const mi = Buffer.alloc(24);
  mi.writeUInt16BE(0x0008, 0);
  mi.writeUInt16BE(20, 2);
  mac.copy(mi, 4);
  body = Buffer.concat([body, mi]);
  // FINGERPRINT: CRC-32 of the message so far, XOR 0x5354554e.
  header.writeUInt16BE(body.length + 8, 2);
  const fp = Buffer.alloc(8);
  fp.writeUInt16BE(0x8028, 0);
  fp.writeUInt16BE(4, 2);
  fp.writeUInt32BE((crc32(Buffer.concat([header, body])) ^ 0x5354554e) >>> 0, 4);
  return Buffer.concat([header, body, fp]);
}

/** A Binding success response (class 0b10, method 1). */
export const isBindingSuccess = (data: Buffer): boolean =>
  data.length >= 20 && data.readUInt16BE(0) === 0x0101;
