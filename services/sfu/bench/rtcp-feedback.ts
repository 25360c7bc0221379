/**
 * The RTCP a browser sends back to an SFU it receives from, as plain (unencrypted) packets:
 * receiver reports (RFC 3550 §6.4.2), generic NACKs (RFC 4585 §6.2.1), PLIs (RFC 4585 §6.3.1),
 * REMB (draft-alvestrand-rmcat-remb-03) and transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01 §3.1). The benchmark's thin clients build these and SRTCP-protect them.
 */

const RTPFB = 205;
const PSFB = 206;

function header(buffer: Buffer, countOrFmt: number, packetType: number, padding = false): void {
  buffer[0] = 0x80 | (padding ? 0x20 : 0) | countOrFmt;
  buffer[1] = packetType;
  buffer.writeUInt16BE(buffer.length / 4 - 1, 2);
}

/** What a receiver knows about one incoming RTP stream, for its report block. */
export class ReceiveStats {
  #base = -1;
  #cycles = 0;
  #max = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  readonly ssrc: number;

  constructor(ssrc: number) {
    this.ssrc = ssrc;
  }

  /** Records one packet by its 16-bit sequence number (RFC 3550 appendix A.1, simplified). */
  add(sequenceNumber: number): void {
    this.#received++;
    if (this.#base < 0) {
      this.#base = sequenceNumber;
      this.#max = sequenceNumber;
      return;
    }
    const delta = (sequenceNumber - this.#max) & 0xffff;
    if (delta > 0 && delta < 0x8000) {
      if (sequenceNumber < this.#max) this.#cycles += 0x10000;
      this.#max = sequenceNumber;
    }
  }

  /** The 24-byte report block; resets the interval counters for the fraction lost. */
  reportBlock(target: Buffer, offset: number): void {
    const extendedMax = this.#cycles + this.#max;
    const expected = this.#base < 0 ? 0 : extendedMax - this.#base + 1;
    const lost = Math.max(0, Math.min(expected - this.#received, 0x7fffff));
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction =
      expectedInterval > 0 && lostInterval > 0 ? Math.floor((lostInterval << 8) / expectedInterval) : 0;
    target.writeUInt32BE(this.ssrc >>> 0, offset);
    target.writeUInt32BE(((Math.min(fraction, 255) << 24) | lost) >>> 0, offset + 4);
    target.writeUInt32BE(extendedMax >>> 0, offset + 8);
    // Jitter, last SR and delay since last SR: zero, which a sender tolerates.
    target.fill(0, offset + 12, offset + 24);
  }
}

export function receiverReport(senderSsrc: number, streams: readonly ReceiveStats[]): Buffer {
  const packet = Buffer.alloc(8 + 24 * streams.length);
  header(packet, streams.length, 201);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  for (const [i, stream] of streams.entries()) stream.reportBlock(packet, 8 + 24 * i);
  return packet;
}

/** A generic NACK for one lost packet (PID, no bitmask). */
export function nack(senderSsrc: number, mediaSsrc: number, sequenceNumber: number): Buffer {
  const packet = Buffer.alloc(16);
  header(packet, 1, RTPFB);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  packet.writeUInt32BE(mediaSsrc >>> 0, 8);
  packet.writeUInt16BE(sequenceNumber & 0xffff, 12);
  return packet;
}

/** Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2) for `ssrcs`. */
export function remb(senderSsrc: number, bitrate: number, ssrcs: readonly number[]): Buffer {
  const packet = Buffer.alloc(20 + 4 * ssrcs.length);
  header(packet, 15, PSFB);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  // Media source SSRC is unused (0); then 'REMB', the SSRC count, and the bitrate as a 6-bit
  // exponent and an 18-bit mantissa.
  packet.write('REMB', 12, 'ascii');
  let exponent = 0;
  while (bitrate >>> exponent > 0x3ffff) exponent++;
  packet[16] = ssrcs.length;
  packet.writeUIntBE(((exponent << 18) | (bitrate >>> exponent)) >>> 0, 17, 3);
  for (const [i, ssrc] of ssrcs.entries()) packet.writeUInt32BE(ssrc >>> 0, 20 + 4 * i);
  return packet;
}

export function pictureLossIndication(senderSsrc: number, mediaSsrc: number): Buffer {
  const packet = Buffer.alloc(12);
  header(packet, 1, PSFB);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  packet.writeUInt32BE(mediaSsrc >>> 0, 8);
  return packet;
}

/**
 * Collects transport-wide sequence numbers with their arrival times and turns them into one
 * feedback packet per call of `feedback()`, as libwebrtc does every ~100 ms.
 */
export class TransportFeedback {
  /** Unwrapped sequence number → arrival time in µs. */
  readonly #arrivals = new Map<number, number>();
  #lastUnwrapped = -1;
  #count = 0;
  readonly senderSsrc: number;
  readonly mediaSsrc: number;

  constructor(senderSsrc: number, mediaSsrc: number) {
    this.senderSsrc = senderSsrc;
    this.mediaSsrc = mediaSsrc;
  }

  add(sequenceNumber: number, arrivalUs: number): void {
    let unwrapped = sequenceNumber;
    if (this.#lastUnwrapped >= 0) {
      const delta = ((sequenceNumber - this.#lastUnwrapped) << 16) >> 16; // signed 16-bit
      unwrapped = this.#lastUnwrapped + delta;
    }
    if (unwrapped > this.#lastUnwrapped) this.#lastUnwrapped = unwrapped;
    this.#arrivals.set(unwrapped, arrivalUs);
  }

  /** The feedback packet for everything received since the last one, or undefined if nothing was. */
  feedback(): Buffer | undefined {
    if (this.#arrivals.size === 0) return undefined;
    const sequence = [...this.#arrivals.keys()].sort((a, b) => a - b);
    const base = sequence[0]!;
    const last = sequence.at(-1)!;
    const statusCount = Math.min(last - base + 1, 0xffff);
    const firstArrival = this.#arrivals.get(base)!;
    const referenceTime = Math.floor(firstArrival / 64_000);
    // Status per packet and receive deltas (250 µs units) against the previous arrival.
    const statuses: number[] = [];
    const deltas: number[] = [];
    let previous = referenceTime * 64_000;
    for (let seq = base; seq < base + statusCount; seq++) {
      const arrival = this.#arrivals.get(seq);
      if (arrival === undefined) {
        statuses.push(0);
        continue;
      }
      const delta = Math.max(-0x8000, Math.min(0x7fff, Math.round((arrival - previous) / 250)));
      previous += delta * 250;
      statuses.push(delta >= 0 && delta <= 0xff ? 1 : 2);
      deltas.push(delta);
    }
    this.#arrivals.clear();
    // Run-length chunks only: any status sequence can be written with them, and a receiver
    // that loses nothing needs one chunk per feedback.
    const chunks: number[] = [];
    for (let i = 0; i < statuses.length; ) {
      let run = 1;
      while (i + run < statuses.length && statuses[i + run] === statuses[i] && run < 0x1fff) run++;
      chunks.push((statuses[i]! << 13) | run);
      i += run;
    }
    const deltaBytes = deltas.reduce((sum, d) => sum + (d >= 0 && d <= 0xff ? 1 : 2), 0);
    const unpadded = 20 + 2 * chunks.length + deltaBytes;
    const padding = (4 - (unpadded % 4)) % 4;
    const packet = Buffer.alloc(unpadded + padding);
    header(packet, 15, RTPFB, padding > 0);
    packet.writeUInt32BE(this.senderSsrc >>> 0, 4);
    packet.writeUInt32BE(this.mediaSsrc >>> 0, 8);
    packet.writeUInt16BE(base & 0xffff, 12);
    packet.writeUInt16BE(statusCount, 14);
    packet.writeUIntBE(referenceTime & 0xffffff, 16, 3);
    packet[19] = this.#count++ & 0xff;
    let offset = 20;
    for (const chunk of chunks) offset = packet.writeUInt16BE(chunk, offset);
    for (const delta of deltas) {
      offset =
        delta >= 0 && delta <= 0xff ? packet.writeUInt8(delta, offset) : packet.writeInt16BE(delta, offset);
    }
    if (padding > 0) packet[packet.length - 1] = padding;
    return packet;
  }
}
