/**
 * Media through the SFU: signaling WebSocket, mediasoup-client transports, producers whose
 * frames are SFrame-encrypted in the worker, consumers decrypted there. The transform is set on
 * each RTCRtpSender/Receiver in the callback mediasoup-client gives right after the transceiver
 * is created, before negotiation: no frame ever leaves unencrypted.
 */
import { Device, detectDevice } from 'mediasoup-client';
import type { Consumer, Producer, Transport } from 'mediasoup-client/types';
import { type ConsumerInfo, type ProducerInfo, SFU_PROTOCOL_VERSION, SfuCloseCode } from '@conclave/protocol';
import type { MediaCrypto, SendContext } from './media-crypto.ts';

export class SfuRequestError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface SfuEvents {
  consumer(consumer: Consumer, info: ConsumerInfo): void;
  consumerClosed(consumerId: string): void;
  producerPaused(producerId: string, paused: boolean): void;
  /** The SFU stopped or started forwarding a microphone (more open microphones than it forwards). */
  consumerAudible(consumerId: string, audible: boolean): void;
  peerLeft(peerId: string): void;
  activeSpeaker(peerId: string): void;
  hostAction(action: 'mute' | 'stopVideo' | 'allow', sources: string[]): void;
  /** The SFU closed the connection, with its close code (SfuCloseCode). */
  closed(code: number): void;
}

type Notification = { method: string; data: Record<string, unknown> };

const SIMULCAST: readonly Readonly<RTCRtpEncodingParameters>[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/**
 * True when mediasoup-client can drive this browser's WebRTC (Chromium ≥ 74, Firefox ≥ 120,
 * Safari ≥ 12). Firefox 117–119 have encoded transforms but no handler: without this check they
 * would reach the meeting and never connect its media.
 */
export function mediaHandlerSupport(): boolean {
  return detectDevice() !== undefined;
}

export class SfuSession {
  readonly #crypto: MediaCrypto;
  readonly #events: SfuEvents;
  #ws: WebSocket | undefined;
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve: (d: unknown) => void; reject: (e: Error) => void }>();
  #device: Device | undefined;
  #send: Transport | undefined;
  #recv: Transport | undefined;
  readonly producers = new Map<SendContext, Producer>();
  readonly consumers = new Map<string, Consumer>();
  peerId = '';
  #closing = false;

  constructor(crypto: MediaCrypto, events: SfuEvents) {
    this.#crypto = crypto;
    this.#events = events;
  }

  /** Signaling, device and both transports; then consumes what the room already has. */
  async connect(url: string, token: string): Promise<void> {
    const ws = new WebSocket(url);
    this.#ws = ws;
    this.#closing = false;
    const welcome = await new Promise<{
      peerId: string;
      rtpCapabilities: unknown;
      producers: ProducerInfo[];
    }>((resolve, reject) => {
      ws.addEventListener(
        'open',
        () => ws.send(JSON.stringify({ type: 'hello', v: SFU_PROTOCOL_VERSION, token })),
        {
          once: true,
        },
      );
      ws.addEventListener('close', (e) => reject(new SfuRequestError(`close_${e.code}`, e.reason)), {
        once: true,
      });
      ws.addEventListener('message', (e) => {
        const m = JSON.parse(String(e.data));
        if (m.type === 'welcome') resolve(m);
        else if (m.type === 'error') reject(new SfuRequestError(m.error.code, m.error.message));
        else if (m.type === 'response') this.#response(m);
        else if (m.type === 'notification') this.#notify(m);
      });
    });
    ws.addEventListener('close', (e) => {
      for (const w of this.#waiting.values()) w.reject(new SfuRequestError('closed', 'connection closed'));
      this.#waiting.clear();
      if (!this.#closing && ws === this.#ws) this.#events.closed(e.code);
    });
    this.peerId = welcome.peerId;
    const device = this.#device ?? (await Device.factory());
    if (!device.loaded) {
      await device.load({ routerRtpCapabilities: welcome.rtpCapabilities as never });
    }
    this.#device = device;
    [this.#send, this.#recv] = await Promise.all([this.#transport('send'), this.#transport('recv')]);
    // Producers announced while the transports were being made were skipped: list them again.
    const { producers } = await this.request<{ producers: ProducerInfo[] }>('listProducers');
    for (const p of [...welcome.producers, ...producers]) void this.#consumeLogged(p);
  }

  request<T = Record<string, unknown>>(method: string, data: Record<string, unknown> = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#ws?.readyState !== WebSocket.OPEN) {
        reject(new SfuRequestError('closed', 'not connected'));
        return;
      }
      this.#waiting.set(id, { resolve: resolve as (d: unknown) => void, reject });
      this.#ws.send(JSON.stringify({ type: 'request', id, method, data }));
    });
  }

  #response(m: { id: number; ok: boolean; data?: unknown; error?: { code: string; message: string } }): void {
    const w = this.#waiting.get(m.id);
    if (!w) return;
    this.#waiting.delete(m.id);
    if (m.ok) w.resolve(m.data ?? {});
    else w.reject(new SfuRequestError(m.error?.code ?? 'internal', m.error?.message ?? 'request failed'));
  }

  #notify(n: Notification): void {
    const d = n.data;
    switch (n.method) {
      case 'newProducer':
        void this.#consumeLogged(d as unknown as ProducerInfo);
        return;
      case 'consumerClosed':
      case 'producerClosed': {
        // A consume still in flight learns of it when it lands (see #consume).
        if (this.#consuming.size > 0) {
          const closed = d['consumerId'] ?? d['producerId'];
          if (typeof closed === 'string') this.#closedWhileConsuming.add(closed);
        }
        for (const [id, c] of this.consumers) {
          if (id === d['consumerId'] || c.producerId === d['producerId']) {
            c.close();
            this.consumers.delete(id);
            this.#events.consumerClosed(id);
          }
        }
        return;
      }
      case 'producerPaused':
      case 'producerResumed': {
        const producerId = String(d['producerId']);
        const paused = n.method === 'producerPaused';
        // A consume in flight may have been answered before this: it takes the news on landing.
        if (this.#consuming.has(producerId)) this.#pausedWhileConsuming.set(producerId, paused);
        this.#events.producerPaused(producerId, paused);
        return;
      }
      case 'consumerAudible':
        this.#events.consumerAudible(String(d['consumerId']), d['audible'] === true);
        return;
      case 'peerLeft':
        this.#events.peerLeft(String(d['peerId']));
        return;
      case 'activeSpeaker':
        this.#events.activeSpeaker(String(d['peerId']));
        return;
      case 'hostAction':
        this.#events.hostAction(d['action'] as 'mute', d['sources'] as string[]);
        return;
      case 'roomEnded':
        this.#events.closed(SfuCloseCode.roomEnded);
        return;
      case 'transportsReset':
        void this.#resetTransports();
        return;
    }
  }

  async #transport(direction: 'send' | 'recv'): Promise<Transport> {
    const info = await this.request<{
      transportId: string;
      iceParameters: never;
      iceCandidates: never;
      dtlsParameters: never;
    }>('createWebRtcTransport', { direction });
    const options = {
      id: info.transportId,
      iceParameters: info.iceParameters,
      iceCandidates: info.iceCandidates,
      dtlsParameters: info.dtlsParameters,
      additionalSettings: this.#crypto.peerConnectionSettings,
    };
    const t =
      direction === 'send'
        ? this.#device!.createSendTransport(options)
        : this.#device!.createRecvTransport(options);
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      this.request('connectWebRtcTransport', { transportId: t.id, dtlsParameters }).then(() => ok(), fail);
    });
    if (direction === 'send') {
      t.on('produce', ({ kind, rtpParameters, appData }, ok, fail) => {
        // mediasoup-client 3.24 adds `msid` (local stream/track IDs); the SFU has no use for it.
        const { msid: _msid, ...parameters } = rtpParameters as typeof rtpParameters & { msid?: string };
        this.request<{ producerId: string }>('produce', {
          transportId: t.id,
          kind,
          source: appData['source'],
          rtpParameters: parameters,
        }).then(({ producerId }) => ok({ id: producerId }), fail);
      });
    }
    // A network blip: ask the SFU for new ICE credentials and let ICE find its way again.
    t.on('connectionstatechange', (state) => {
      if (state === 'disconnected' || state === 'failed') {
        this.request<{ iceParameters: never }>('restartIce', { transportId: t.id })
          .then(({ iceParameters }) => t.restartIce({ iceParameters }))
          .catch(() => {});
      }
    });
    return t;
  }

  async produce(track: MediaStreamTrack, source: SendContext): Promise<Producer> {
    const existing = this.producers.get(source);
    if (existing && !existing.closed) {
      await existing.replaceTrack({ track });
      return existing;
    }
    const producer = await this.#send!.produce({
      track,
      stopTracks: false,
      // mediasoup-client writes rid and scalabilityMode into the encodings it is given and keeps
      // them as the producer's parameters: each camera producer gets objects of its own.
      ...(source === 'camera'
        ? {
            encodings: SIMULCAST.map((e) => ({ ...e })),
            codecOptions: { videoGoogleStartBitrate: 1000 },
          }
        : {}),
      ...(source === 'screen' ? { encodings: [{ maxBitrate: 2_500_000 }] } : {}),
      onRtpSender: (sender) => this.#crypto.encryptSender(sender, source),
      appData: { source },
    });
    this.producers.set(source, producer);
    return producer;
  }

  async closeProducer(source: SendContext): Promise<void> {
    const p = this.producers.get(source);
    if (!p) return;
    this.producers.delete(source);
    p.close();
    await this.request('closeProducer', { producerId: p.id }).catch(() => {});
  }

  async setPaused(source: SendContext, paused: boolean): Promise<void> {
    const p = this.producers.get(source);
    if (!p) return;
    await this.request(paused ? 'pauseProducer' : 'resumeProducer', { producerId: p.id });
    if (paused) p.pause();
    else p.resume();
  }

  async #consumeLogged(info: ProducerInfo, attempt = 0): Promise<void> {
    try {
      await this.consume(info);
    } catch (error) {
      const code = error instanceof SfuRequestError ? error.code : '';
      if (code === 'consumer_not_found' && attempt < 2) {
        await new Promise((r) => setTimeout(r, 100));
        return this.#consumeLogged(info, attempt + 1);
      }
      console.warn('sfu: cannot consume', info.source, error instanceof Error ? error.message : error);
    }
  }

  async consume(info: ProducerInfo): Promise<void> {
    if (info.peerId === this.peerId || !this.#recv || !this.#device) return;
    if (this.#consuming.has(info.producerId)) return;
    this.#consuming.add(info.producerId);
    try {
      await this.#consume(info, this.#recv, this.#device);
    } finally {
      this.#consuming.delete(info.producerId);
      this.#pausedWhileConsuming.delete(info.producerId);
      if (this.#consuming.size === 0) this.#closedWhileConsuming.clear();
    }
  }

  /** Producers being consumed right now. */
  readonly #consuming = new Set<string>();
  /** Consumer and producer IDs the SFU closed while a consume was in flight. */
  readonly #closedWhileConsuming = new Set<string>();
  /** Pauses and resumes announced while a consume of that producer was in flight. */
  readonly #pausedWhileConsuming = new Map<string, boolean>();

  #closedMeanwhile(ci: ConsumerInfo): boolean {
    return this.#closedWhileConsuming.has(ci.consumerId) || this.#closedWhileConsuming.has(ci.producerId);
  }

  async #consume(info: ProducerInfo, recv: Transport, device: Device): Promise<void> {
    for (const c of this.consumers.values()) if (c.producerId === info.producerId) return;
    const ci = await this.request<ConsumerInfo>('consume', {
      transportId: recv.id,
      producerId: info.producerId,
      rtpCapabilities: device.rtpCapabilities,
    });
    // The SFU may close the consumer (its producer went away) before our side exists.
    if (this.#closedMeanwhile(ci)) return;
    const consumer = await recv.consume({
      id: ci.consumerId,
      producerId: ci.producerId,
      kind: ci.kind,
      rtpParameters: ci.rtpParameters as never,
      onRtpReceiver: (receiver) => this.#crypto.decryptReceiver(receiver, ci.kind, ci.consumerId),
      appData: { peerId: ci.peerId, source: ci.source },
    });
    if (this.#closedMeanwhile(ci)) {
      consumer.close();
      return;
    }
    this.consumers.set(consumer.id, consumer);
    if (this.consumers.size === 1) performance.mark('conclave:first-consumer');
    const pausedSince = this.#pausedWhileConsuming.get(ci.producerId);
    this.#events.consumer(consumer, pausedSince === undefined ? ci : { ...ci, producerPaused: pausedSince });
    // Video is resumed when the grid shows it (video-subscriptions.ts); audio is always heard.
    if (ci.kind === 'video') return;
    try {
      await this.request('resumeConsumer', { consumerId: consumer.id });
    } catch (error) {
      // The SFU lost the consumer between consume and resume: drop ours so it can be made again.
      consumer.close();
      this.consumers.delete(consumer.id);
      this.#events.consumerClosed(consumer.id);
      throw error;
    }
  }

  /** After a worker restart on the SFU: new transports, produce and consume again. */
  async #resetTransports(): Promise<void> {
    const tracks = [...this.producers].map(([source, p]) => [source, p.track] as const);
    this.producers.clear();
    for (const c of this.consumers.values()) this.#events.consumerClosed(c.id);
    this.consumers.clear();
    this.#send?.close();
    this.#recv?.close();
    [this.#send, this.#recv] = await Promise.all([this.#transport('send'), this.#transport('recv')]);
    for (const [source, track] of tracks) if (track) await this.produce(track, source);
    const { producers } = await this.request<{ producers: ProducerInfo[] }>('listProducers');
    for (const p of producers) void this.#consumeLogged(p);
  }

  close(): void {
    this.#closing = true;
    for (const c of this.consumers.values()) c.close();
    this.consumers.clear();
    this.producers.clear();
    this.#send?.close();
    this.#recv?.close();
    this.#send = undefined;
    this.#recv = undefined;
    this.#ws?.close(SfuCloseCode.normal);
  }
}
