import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

/** A minimal RTP packet writer/reader for tests and benchmarks (RFC 3550, no CSRCs). */
export interface RtpHeader {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
}

export function writeRtp(
  header: RtpHeader,
  payload: Buffer,
  extension?: { id: number; data: Buffer },
): Buffer {
  // One-byte header extension (RFC 8285): 0xBEDE, length in words, then id/len + data, padded.
  let ext = Buffer.alloc(0);
  if (extension) {
    const body = Buffer.concat([
      Buffer.from([(extension.id << 4) | (extension.data.length - 1)]),
      extension.data,
    ]);
    const words = Math.ceil(body.length / 4);
    ext = Buffer.alloc(4 + words * 4);
    ext.writeUInt16BE(0xbede, 0);
    ext.writeUInt16BE(words, 2);
    body.copy(ext, 4);
  }
  const packet = Buffer.allocUnsafe(12 + ext.length + payload.length);
  packet[0] = extension ? 0x90 : 0x80;
  packet[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  packet.writeUInt16BE(header.sequenceNumber & 0xffff, 2);
  packet.writeUInt32BE(header.timestamp >>> 0, 4);
  packet.writeUInt32BE(header.ssrc >>> 0, 8);
  ext.copy(packet, 12);
  payload.copy(packet, 12 + ext.length);
  return packet;
}

/** An RTCP Sender Report (RFC 3550 §6.4.1) without report blocks. */
export function writeSenderReport(options: {
  ssrc: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
}): Buffer {
  const packet = Buffer.alloc(28);
  packet[0] = 0x80;
  packet[1] = 200;
  packet.writeUInt16BE(6, 2);
  packet.writeUInt32BE(options.ssrc >>> 0, 4);
  const nowMs = Date.now() + 2_208_988_800_000; // NTP epoch is 1900
  const seconds = Math.floor(nowMs / 1000);
  packet.writeUInt32BE(seconds >>> 0, 8);
  packet.writeUInt32BE(Math.floor(((nowMs % 1000) / 1000) * 2 ** 32) >>> 0, 12);
  packet.writeUInt32BE(options.rtpTimestamp >>> 0, 16);
  packet.writeUInt32BE(options.packets >>> 0, 20);
  packet.writeUInt32BE(options.octets >>> 0, 24);
  return packet;
}

export interface ParsedRtp extends RtpHeader {
  payload: Buffer;
}

/** Parses an RTP packet, skipping CSRCs and header extensions; undefined for RTCP or junk. */
export function readRtp(packet: Buffer): ParsedRtp | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const payloadType = packet[1]! & 0x7f;
  // RTCP packet types 200–206 land on 72–78 once the marker bit is masked.
  if (payloadType >= 72 && payloadType <= 78) return undefined;
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[packet.length - 1]!;
  if (offset > end) return undefined;
  return {
    payloadType,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payload: packet.subarray(offset, end),
  };
}

/**
 * A VP8 RTP payload as Conclave's encoders send it: the VP8 payload descriptor (RFC 7741,
 * with picture ID, TL0PICIDX and TID) and the first 10 (key frame) or 3 (delta frame) bytes of
 * the VP8 frame in clear, followed by bytes that look like SFrame ciphertext (random).
 */
export function vp8EncryptedPayload(options: {
  keyFrame: boolean;
  pictureId: number;
  tl0PicIdx: number;
  tid: number;
  size: number;
  /** False for the second and later packets of a frame: no VP8 header, only ciphertext. */
  start?: boolean;
}): Buffer {
  const start = options.start ?? true;
  const descriptor = Buffer.from([
    start ? 0x90 : 0x80, // X=1, S=start of frame, PID=0
    0xe0, // I=1, L=1, T=1
    0x80 | ((options.pictureId >> 8) & 0x7f),
    options.pictureId & 0xff,
    options.tl0PicIdx & 0xff,
    ((options.tid & 0x03) << 6) | 0x20, // Y=1: every frame is a valid temporal up-switch point
  ]);
  // VP8 frame tag: bit 0 is the inverse key-frame flag (0 = key frame); key frames then carry
  // the start code 9d 01 2a and 14-bit width/height.
  const clear = !start
    ? Buffer.alloc(0)
    : options.keyFrame
      ? Buffer.from([0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01])
      : Buffer.from([0x31, 0x10, 0x00]);
  const cipherLength = Math.max(16, options.size - descriptor.length - clear.length);
  return Buffer.concat([descriptor, clear, randomBytes(cipherLength)]);
}

/** Opus with the TOC byte in clear and the rest opaque. */
export function opusEncryptedPayload(size: number): Buffer {
  return Buffer.concat([Buffer.from([0x78]), randomBytes(Math.max(1, size - 1))]);
}

export function isVp8KeyFrame(payload: Buffer): boolean {
  // Descriptor as written by vp8EncryptedPayload: 6 bytes, then the frame tag.
  return payload.length > 6 && (payload[6]! & 0x01) === 0;
}

/** A UDP socket on 127.0.0.1 that receives RTP and counts it. */
export class RtpReceiver {
  readonly socket = dgram.createSocket('udp4');
  readonly packets: ParsedRtp[] = [];
  count = 0;
  bytes = 0;
  #keep: boolean;
  #listeners = new Set<(packet: ParsedRtp) => void>();

  constructor(options: { keepPackets?: boolean } = {}) {
    this.#keep = options.keepPackets ?? true;
    this.socket.on('message', (message) => {
      const packet = readRtp(message);
      if (!packet) return;
      this.count++;
      this.bytes += message.length;
      if (this.#keep) this.packets.push(packet);
      for (const listener of this.#listeners) listener(packet);
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  onPacket(listener: (packet: ParsedRtp) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first packet matching `predicate` (also among packets already kept). */
  waitFor(predicate: (packet: ParsedRtp) => boolean, timeoutMs = 5000, what = 'packet'): Promise<ParsedRtp> {
    const already = this.packets.find(predicate);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onPacket((packet) => {
        if (!predicate(packet)) return;
        clearTimeout(timer);
        off();
        resolve(packet);
      });
    });
  }

  clear(): void {
    this.packets.length = 0;
    this.count = 0;
    this.bytes = 0;
  }

  close(): void {
    this.socket.close();
  }
}

/** A UDP socket that sends RTP to one address. */
export class RtpSender {
  readonly socket = dgram.createSocket('udp4');
  readonly #port: number;
  readonly #ip: string;

  constructor(ip: string, port: number) {
    this.#ip = ip;
    this.#port = port;
  }

  send(packet: Buffer): void {
    this.socket.send(packet, this.#port, this.#ip);
  }

  close(): void {
    this.socket.close();
  }
}
