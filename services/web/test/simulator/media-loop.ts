/**
 * Sends a clip of encoded media in a loop, in real time, as a browser's encoder would: every
 * frame SFrame-encrypted by the client's own FrameCryptor (clear prefix per codec:
 * frame-transform/codec.ts), then packetized into RTP. Opus: one packet per frame, with the
 * RFC 6464 audio level the SFU picks loud speakers by. VP8: the RFC 7741 payload descriptor
 * (with a picture ID) and packets of at most MAX_PAYLOAD bytes. A video loop starts over at its
 * key frame when it ends and when the SFU asks for a key frame.
 */
import { randomBytes } from 'node:crypto';
import type { FrameCryptor, MediaContextName } from '@conclave/e2ee';
import type { MediaClip } from './media-clip.ts';
import type { RtpOut } from './webrtc-link.ts';

const MAX_PAYLOAD = 1100;
/** Behind by more than this (a busy process): skip ahead instead of bursting. */
const MAX_LAG_MS = 500;
/** Key frame requests closer together than this restart the loop once. */
const RESTART_SPACING_MS = 250;

export interface StreamSpec {
  source: MediaContextName;
  payloadType: number;
  ssrc: number;
  clockRate: number;
  /** Header extension ID of the RFC 6464 audio level (audio only). */
  audioLevelId?: number;
}

export interface LoopStats {
  framesSent: number;
  framesDropped: number;
  restarts: number;
}

const random32 = () => randomBytes(4).readUInt32BE(0);

export class MediaLoop {
  readonly spec: StreamSpec;
  /** Audio level sent with every Opus packet, in −dBov (0 loudest, 127 silence). */
  audioLevel = 30;
  readonly stats: LoopStats = { framesSent: 0, framesDropped: 0, restarts: 0 };
  readonly #clip: MediaClip;
  readonly #cryptor: FrameCryptor;
  readonly #send: (packet: RtpOut) => void;
  #index = 0;
  #next = 0;
  #sequence = random32() & 0xffff;
  #rtpTime = random32();
  #pictureId = random32() & 0x7fff;
  #lastRestart = 0;
  #first = true;
  /** Frames go out in order even though encryption is asynchronous. */
  #chain: Promise<void> = Promise.resolve();

  constructor(clip: MediaClip, spec: StreamSpec, cryptor: FrameCryptor, send: (packet: RtpOut) => void) {
    this.#clip = clip;
    this.spec = spec;
    this.#cryptor = cryptor;
    this.#send = send;
  }

  /** Sends every frame due by `now` (milliseconds). */
  tick(now: number): void {
    if (this.#next === 0 || now - this.#next > MAX_LAG_MS) this.#next = now;
    while (this.#next <= now) {
      const frame = this.#clip.frames[this.#index]!;
      const rtpTime = this.#rtpTime;
      this.#rtpTime = (this.#rtpTime + Math.round((frame.durationMs * this.spec.clockRate) / 1000)) >>> 0;
      this.#next += frame.durationMs;
      this.#index = (this.#index + 1) % this.#clip.frames.length;
      this.#chain = this.#chain.then(() => this.#sendFrame(frame.data, rtpTime));
    }
  }

  /** The SFU asked for a key frame: the loop starts over at its first frame (a key frame). */
  restart(now: number): void {
    if (this.#clip.codec !== 'vp8' || now - this.#lastRestart < RESTART_SPACING_MS) return;
    this.#lastRestart = now;
    this.#index = 0;
    this.stats.restarts++;
  }

  /** Resolves once every frame handed out so far is sent. */
  flush(): Promise<void> {
    return this.#chain;
  }

  async #sendFrame(data: Uint8Array, timestamp: number): Promise<void> {
    const codec = this.#clip.codec;
    const encrypted = await this.#cryptor.encryptFrame(data, codec, this.spec.source);
    // No media key yet (not in the group), or a failure: dropped and counted, never sent in clear.
    if (!encrypted || encrypted.length === 0) {
      this.stats.framesDropped++;
      return;
    }
    this.stats.framesSent++;
    if (codec === 'opus') {
      this.#packet(encrypted, timestamp, this.#first, this.#audioLevelExtension());
      this.#first = false;
      return;
    }
    const pictureId = this.#pictureId;
    this.#pictureId = (this.#pictureId + 1) & 0x7fff;
    for (let offset = 0; offset < encrypted.length; offset += MAX_PAYLOAD) {
      const chunk = encrypted.subarray(offset, offset + MAX_PAYLOAD);
      const descriptor = new Uint8Array([
        offset === 0 ? 0x90 : 0x80,
        0x80,
        0x80 | (pictureId >> 8),
        pictureId & 0xff,
      ]);
      const payload = new Uint8Array(descriptor.length + chunk.length);
      payload.set(descriptor);
      payload.set(chunk, descriptor.length);
      this.#packet(payload, timestamp, offset + MAX_PAYLOAD >= encrypted.length);
    }
  }

  #audioLevelExtension(): { id: number; payload: Buffer }[] {
    const id = this.spec.audioLevelId;
    if (id === undefined) return [];
    const level = Math.max(0, Math.min(127, Math.round(this.audioLevel)));
    // V bit: voice activity, set while above the silence floor.
    return [{ id, payload: Buffer.from([(level < 127 ? 0x80 : 0) | level]) }];
  }

  #packet(
    payload: Uint8Array,
    timestamp: number,
    marker: boolean,
    extensions?: { id: number; payload: Buffer }[],
  ): void {
    this.#send({
      payloadType: this.spec.payloadType,
      ssrc: this.spec.ssrc,
      sequenceNumber: this.#sequence,
      timestamp,
      marker,
      ...(extensions ? { extensions } : {}),
      payload,
    });
    this.#sequence = (this.#sequence + 1) & 0xffff;
  }
}
