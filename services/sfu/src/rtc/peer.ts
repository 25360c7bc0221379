import { randomUUID } from 'node:crypto';
import type {
  MediaKind,
  MediaSource,
  ProducerInfo,
  Role,
  SfuCloseCode,
  SfuRequestData,
  SfuResponseData,
  TransportDirection,
} from '@conclave/protocol';
import type { types } from 'mediasoup';
import type { PeerConnection } from './connection.ts';
import { mediaFailure, SfuFailure } from './failure.ts';
import { PeerConsumers } from './peer-consumers.ts';
import type { MemberRoom, ProducerEntry, RoomMember } from './room-member.ts';

export type { ProducerEntry } from './room-member.ts';

interface TransportEntry {
  readonly transport: types.Transport;
  readonly direction: TransportDirection;
  readonly webRtc: boolean;
}

export interface PeerIdentity {
  /** MLS group ID from the join token, for bus events about this session. */
  grp: string;
  /** Session ID from the join token. Never sent to other peers and never logged. */
  sid: string;
  role: Role;
  /** Token issue time, seconds. */
  iat: number;
  /** Token expiry, seconds: how long a removal must be remembered. */
  exp: number;
}

const SOURCE_KIND: Record<MediaSource, MediaKind> = { mic: 'audio', camera: 'video', screen: 'video' };
const MAX_TRANSPORTS = 4;
const MAX_PRODUCERS = 4;
const MAX_CONSUMERS = 2000;
/** Minimum gap between key frame requests sent to one video sender (see `produce`). */
const KEY_FRAME_REQUEST_SPACING_MS = 350;

/**
 * One participant connection in a room: its transports, producers and consumers. Closing a
 * peer closes its transports, which closes everything it produced and consumed.
 */
export class Peer implements RoomMember {
  /** Random per connection; other peers see this, never the session ID. */
  readonly id = randomUUID();
  readonly identity: PeerIdentity;
  readonly room: MemberRoom<Peer>;
  readonly #conn: PeerConnection;
  readonly #transports = new Map<string, TransportEntry>();
  readonly #producers = new Map<string, ProducerEntry>();
  /** What this peer receives, and the client's requests on it. */
  readonly consumers = new PeerConsumers(this);
  /** Sources the host has muted/stopped: resume and new producers are refused. */
  readonly #hostLocks = new Set<MediaSource>();
  #closed = false;

  constructor(room: MemberRoom<Peer>, identity: PeerIdentity, conn: PeerConnection) {
    this.room = room;
    this.identity = identity;
    this.#conn = conn;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get isHost(): boolean {
    return this.identity.role === 'host';
  }

  get connection(): PeerConnection {
    return this.#conn;
  }

  transports(): types.Transport[] {
    return [...this.#transports.values()].map((t) => t.transport);
  }

  producers(): ProducerEntry[] {
    return [...this.#producers.values()];
  }

  hostLocks(): MediaSource[] {
    return [...this.#hostLocks];
  }

  // ---- transports ------------------------------------------------------------------------

  async createWebRtcTransport(
    direction: TransportDirection,
  ): Promise<SfuResponseData<'createWebRtcTransport'>> {
    this.#checkTransportLimit();
    const rr = await this.room.routerOf(this);
    let transport: types.WebRtcTransport;
    try {
      transport = await rr.router.createWebRtcTransport({
        webRtcServer: rr.slot.webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: this.room.options.initialOutgoingBitrate,
        appData: { direction },
      });
    } catch (error) {
      throw mediaFailure(error, 'internal');
    }
    this.#adoptTransport(transport, direction, true);
    return {
      transportId: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates.map((c) => ({
        foundation: c.foundation,
        priority: c.priority,
        ip: c.ip,
        protocol: c.protocol,
        port: c.port,
        type: 'host' as const,
        ...(c.tcpType ? { tcpType: 'passive' as const } : {}),
      })),
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /** Plain RTP on the peer's router for tests, benchmarks and tools (not from signaling); `comedia`: learn the sender. */
  async openPlainTransport(
    direction: TransportDirection,
    options: { listenIp?: string; comedia?: boolean } = {},
  ): Promise<types.PlainTransport> {
    this.#checkTransportLimit();
    const rr = await this.room.routerOf(this);
    const transport = await rr.router.createPlainTransport({
      listenIp: options.listenIp ?? '127.0.0.1',
      rtcpMux: true,
      comedia: options.comedia ?? direction === 'send',
      appData: { direction },
    });
    this.#adoptTransport(transport, direction, false);
    return transport;
  }

  #checkTransportLimit(): void {
    if (this.#closed) throw new SfuFailure('not_joined', 'peer closed');
    if (this.#transports.size >= MAX_TRANSPORTS) {
      throw new SfuFailure('limit_reached', `at most ${MAX_TRANSPORTS} transports per peer`);
    }
  }

  #adoptTransport(transport: types.Transport, direction: TransportDirection, webRtc: boolean): void {
    if (this.#closed) {
      transport.close();
      throw new SfuFailure('not_joined', 'peer closed');
    }
    this.#transports.set(transport.id, { transport, direction, webRtc });
    transport.observer.once('close', () => this.#transports.delete(transport.id));
  }

  #transport(transportId: string, direction?: TransportDirection): types.Transport {
    const entry = this.#transports.get(transportId);
    if (!entry) throw new SfuFailure('transport_not_found', 'no such transport');
    if (direction && entry.direction !== direction) {
      throw new SfuFailure('wrong_direction', `transport is not a ${direction} transport`);
    }
    return entry.transport;
  }

  #webRtcTransport(transportId: string): types.WebRtcTransport {
    const entry = this.#transports.get(transportId);
    if (!entry?.webRtc) throw new SfuFailure('transport_not_found', 'no such WebRTC transport');
    return entry.transport as types.WebRtcTransport;
  }

  async connectWebRtcTransport(data: SfuRequestData<'connectWebRtcTransport'>): Promise<void> {
    const transport = this.#webRtcTransport(data.transportId);
    try {
      await transport.connect({ dtlsParameters: data.dtlsParameters as types.DtlsParameters });
    } catch (error) {
      throw mediaFailure(error, 'invalid_request');
    }
  }

  async restartIce(transportId: string): Promise<SfuResponseData<'restartIce'>> {
    const transport = this.#webRtcTransport(transportId);
    try {
      return { iceParameters: await transport.restartIce() };
    } catch (error) {
      throw mediaFailure(error, 'internal');
    }
  }

  closeTransport(transportId: string): void {
    this.#transport(transportId).close();
  }

  // ---- producing ---------------------------------------------------------------------------

  async produce(data: SfuRequestData<'produce'>): Promise<SfuResponseData<'produce'>> {
    const transport = this.#transport(data.transportId, 'send');
    if (SOURCE_KIND[data.source] !== data.kind) {
      throw new SfuFailure('invalid_request', `source ${data.source} must be ${SOURCE_KIND[data.source]}`);
    }
    if (this.#hostLocks.has(data.source)) {
      throw new SfuFailure('muted_by_host', `the host has stopped your ${data.source}`);
    }
    if (this.#producers.size >= MAX_PRODUCERS) {
      throw new SfuFailure('limit_reached', `at most ${MAX_PRODUCERS} producers per peer`);
    }
    const encodings = data.rtpParameters.encodings ?? [];
    if (data.kind === 'audio' && encodings.length > 1) {
      throw new SfuFailure('invalid_rtp_parameters', 'audio has a single encoding');
    }
    // The client's stream/track IDs (msid) stay with the client: consumers get their own.
    const { msid: _msid, ...rtpParameters } = data.rtpParameters;
    let producer: types.Producer;
    try {
      producer = await transport.produce({
        kind: data.kind,
        rtpParameters: rtpParameters as types.RtpParameters,
        // Browsers ignore a key frame request that comes within ~300 ms of the previous one,
        // and mediasoup then waits a full second before asking again: a new viewer's picture
        // stalled ~1 s whenever two requests met. Spacing them out keeps every request heard.
        keyFrameRequestDelay: data.kind === 'video' ? KEY_FRAME_REQUEST_SPACING_MS : 0,
        appData: { source: data.source, peerId: this.id },
      });
    } catch (error) {
      throw mediaFailure(error, 'invalid_rtp_parameters');
    }
    if (this.#closed) {
      producer.close();
      throw new SfuFailure('not_joined', 'peer closed');
    }
    const entry: ProducerEntry = { producer, peer: this, source: data.source, lockedByHost: false };
    this.#producers.set(producer.id, entry);
    producer.observer.once('close', () => {
      this.#producers.delete(producer.id);
      this.room.producerRemoved(entry);
    });
    this.room.producerAdded(entry);
    return { producerId: producer.id };
  }

  #ownProducer(producerId: string): ProducerEntry {
    const entry = this.#producers.get(producerId);
    if (!entry) throw new SfuFailure('producer_not_found', 'no such producer of yours');
    return entry;
  }

  closeProducer(producerId: string): void {
    this.#ownProducer(producerId).producer.close();
  }

  async pauseProducer(producerId: string): Promise<void> {
    const entry = this.#ownProducer(producerId);
    await entry.producer.pause();
    this.room.broadcast('producerPaused', { producerId, byHost: false }, this);
  }

  async resumeProducer(producerId: string): Promise<void> {
    const entry = this.#ownProducer(producerId);
    if (entry.lockedByHost || this.#hostLocks.has(entry.source)) {
      throw new SfuFailure('muted_by_host', 'the host has muted this; wait until the host allows it');
    }
    await entry.producer.resume();
    this.room.broadcast('producerResumed', { producerId }, this);
  }

  // ---- consuming ---------------------------------------------------------------------------

  async consume(data: SfuRequestData<'consume'>): Promise<SfuResponseData<'consume'>> {
    const transport = this.#transport(data.transportId, 'recv');
    const entry = this.room.producer(data.producerId);
    if (!entry) throw new SfuFailure('producer_not_found', 'no such producer in this room');
    if (this.consumers.size >= MAX_CONSUMERS) {
      throw new SfuFailure('limit_reached', `at most ${MAX_CONSUMERS} consumers per peer`);
    }
    const rr = await this.room.routerOf(this);
    // The producer closing under the request (its owner left) is a producer_not_found, not a
    // media failure, whichever step of piping and consuming it interrupts.
    const gone = () =>
      entry.producer.closed || this.room.producer(entry.producer.id) !== entry
        ? new SfuFailure('producer_not_found', 'the producer closed')
        : undefined;
    try {
      await this.room.pipeProducerTo(entry, rr);
    } catch (error) {
      throw gone() ?? error;
    }
    const rtpCapabilities = data.rtpCapabilities as types.RtpCapabilities;
    let canConsume: boolean;
    try {
      canConsume = rr.router.canConsume({ producerId: entry.producer.id, rtpCapabilities });
    } catch (error) {
      throw gone() ?? mediaFailure(error, 'cannot_consume');
    }
    if (!canConsume)
      throw gone() ?? new SfuFailure('cannot_consume', 'your RTP capabilities cannot receive this producer');
    let consumer: types.Consumer;
    try {
      consumer = await transport.consume({
        producerId: entry.producer.id,
        rtpCapabilities,
        paused: true,
        appData: { source: entry.source },
      });
    } catch (error) {
      throw gone() ?? mediaFailure(error, 'cannot_consume');
    }
    if (this.#closed) {
      consumer.close();
      throw new SfuFailure('not_joined', 'peer closed');
    }
    // The producer may have closed while the worker made the consumer: its consumers were
    // closed (and announced) before this one existed here, so this one must not be handed out.
    const closed =
      gone() ?? (consumer.closed ? new SfuFailure('producer_not_found', 'the producer closed') : undefined);
    if (closed) {
      consumer.close();
      throw closed;
    }
    this.consumers.adopt(consumer, entry, this.room.isAudible(entry));
    return {
      consumerId: consumer.id,
      producerId: entry.producer.id,
      peerId: entry.peer.id,
      kind: consumer.kind,
      source: entry.source,
      rtpParameters: consumer.rtpParameters,
      type: consumer.type,
      paused: consumer.paused,
      producerPaused: consumer.producerPaused,
    };
  }

  /** A producer of the room closed: its consumers here close now (see `PeerConsumers`). */
  producerGone(entry: ProducerEntry): void {
    this.consumers.producerGone(entry);
  }
  audibilityChanged(entry: ProducerEntry, audible: boolean): void {
    this.consumers.setAudible(entry, audible);
  }

  // ---- host enforcement (called on the target peer) ---------------------------------------

  /** Pauses the sources and locks them: resume and new producers are refused until allowed. */
  async lockByHost(sources: MediaSource[], action: 'mute' | 'stopVideo'): Promise<void> {
    for (const source of sources) this.#hostLocks.add(source);
    for (const entry of this.#producers.values()) {
      if (!sources.includes(entry.source)) continue;
      entry.lockedByHost = true;
      if (!entry.producer.paused) await entry.producer.pause();
      this.room.broadcast('producerPaused', { producerId: entry.producer.id, byHost: true });
    }
    this.#conn.notify('hostAction', { action, sources });
  }

  allowByHost(sources: MediaSource[]): void {
    for (const source of sources) this.#hostLocks.delete(source);
    for (const entry of this.#producers.values()) {
      if (sources.includes(entry.source)) entry.lockedByHost = false;
    }
    this.#conn.notify('hostAction', { action: 'allow', sources });
  }

  // ---- life-cycle --------------------------------------------------------------------------

  /** The worker serving this peer died: everything media-related is gone; the client rebuilds. */
  mediaLost(): void {
    for (const { transport } of [...this.#transports.values()]) transport.close();
    this.#transports.clear();
    if (!this.#closed) this.#conn.notify('transportsReset', { reason: 'worker_restarted' });
  }

  info(entry: ProducerEntry): ProducerInfo {
    return {
      producerId: entry.producer.id,
      peerId: this.id,
      kind: entry.producer.kind,
      source: entry.source,
      paused: entry.producer.paused,
      lockedByHost: entry.lockedByHost,
    };
  }

  /** Closes transports (and so producers and consumers), leaves the room, hangs up if asked. */
  close(hangUp?: { code: SfuCloseCode; reason: string }): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { transport } of [...this.#transports.values()]) transport.close();
    this.#transports.clear();
    this.room.peerClosed(this);
    if (hangUp) this.#conn.close(hangUp.code, hangUp.reason);
  }
}
