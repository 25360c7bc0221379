import { EventEmitter } from 'node:events';
import type { SfuNotificationData, SfuNotificationMethod, ProducerInfo } from '@conclave/protocol';
import type { Logger } from '@conclave/runtime';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from '../media/codecs.ts';
import { AudibleSpeakers, type Changes } from './audible-speakers.ts';
import { Loudness } from './loudness.ts';
import type { WorkerPool } from '../media/worker-pool.ts';
import { mediaFailure, SfuFailure } from './failure.ts';
import { PipeLink } from './pipes.ts';
import type { MemberRoom, ProducerEntry, RoomMember, RoomRouter } from './room-member.ts';

export type { RoomRouter } from './room-member.ts';

export interface RoomOptions {
  /** Peers per router before the room spreads to another worker. */
  routerMaxPeers: number;
  roomMaxPeers: number;
  initialOutgoingBitrate: number;
  /** Microphones forwarded at once when a room has more (audible-speakers.ts). */
  audibleSpeakers: number;
}

/**
 * How the room decides whose microphone is forwarded (loudness.ts): each packet's RFC 6464
 * level averaged over 250 ms windows (the shortest mediasoup's AudioLevelObserver takes; it
 * also needs 10 packets in one), one window ending every 50 ms, and how loud counts as
 * speaking (dBov). A window is loud once about three quarters of it is speech, so a new
 * speaker is heard some 190–240 ms after their first word.
 */
const AUDIBLE_WINDOW = { interval: 250, phases: 5, threshold: -50 } as const;

interface AudioObservers {
  readonly rr: RoomRouter;
  readonly speaker: types.ActiveSpeakerObserver;
  readonly levels: types.AudioLevelObserver;
  /** Who is loud now, often: what decides whose microphone is forwarded. */
  readonly loudness: Loudness;
}

interface RoomEvents {
  close: [];
}

/**
 * A room on this node: one Router per worker it spans, its peers, and its producers. A room
 * larger than one router's peer limit takes a router on another worker, and producers are
 * piped (see PipeLink) to the routers whose peers consume them. Closing a room closes its
 * peers and routers.
 */
export class Room<P extends RoomMember = RoomMember>
  extends EventEmitter<RoomEvents>
  implements MemberRoom<P>
{
  readonly id: string;
  readonly options: RoomOptions;
  readonly #pool: WorkerPool;
  readonly #log: Logger;
  readonly #routers = new Map<number, RoomRouter>();
  readonly #assignment = new Map<RoomMember, RoomRouter>();
  readonly #peers = new Map<string, P>();
  readonly #producers = new Map<string, ProducerEntry>();
  /** `${producerId}/${routerId}` → pipe in progress or done. */
  readonly #pipes = new Map<string, Promise<void>>();
  /** `${sourceRouterId}>${targetRouterId}` → the pipe transports between those routers. */
  readonly #links = new Map<string, PipeLink>();
  #audio: Promise<AudioObservers> | undefined;
  readonly #audible: AudibleSpeakers;
  /** Serializes router assignment so concurrent joins do not over-fill or over-create routers. */
  #assigning: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(id: string, pool: WorkerPool, options: RoomOptions, log: Logger) {
    super();
    this.id = id;
    this.#pool = pool;
    this.options = options;
    this.#log = log;
    this.#audible = new AudibleSpeakers(options.audibleSpeakers);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  peers(): P[] {
    return [...this.#peers.values()];
  }

  peer(peerId: string): P | undefined {
    return this.#peers.get(peerId);
  }

  routers(): RoomRouter[] {
    return [...this.#routers.values()];
  }

  routerOfPeer(peer: RoomMember): RoomRouter | undefined {
    return this.#assignment.get(peer);
  }

  producer(producerId: string): ProducerEntry | undefined {
    return this.#producers.get(producerId);
  }

  /**
   * The last dominant speaker, while their producer lasts. Changes are broadcast; a peer that
   * joins later is told this one with its welcome (signaling.ts).
   */
  get activeSpeaker(): { producerId: string; peerId: string } | undefined {
    return this.#activeSpeaker;
  }
  #activeSpeaker: { producerId: string; peerId: string } | undefined;

  producerInfos(): ProducerInfo[] {
    return [...this.#producers.values()].map((entry) => entry.peer.info(entry));
  }

  /** Adds a peer (the caller checked the token). */
  addPeer(peer: P): void {
    if (this.#closed) throw new SfuFailure('media_unavailable', 'room closed');
    if (this.#peers.size >= this.options.roomMaxPeers) throw new SfuFailure('capacity', 'room is full');
    this.#peers.set(peer.id, peer);
  }

  /** Sends a notification to every peer but `except`. */
  broadcast<M extends SfuNotificationMethod>(
    method: M,
    data: SfuNotificationData<M>,
    except?: RoomMember,
  ): void {
    for (const peer of this.#peers.values()) if (peer !== except) peer.connection.notify(method, data);
  }

  // ---- routers ------------------------------------------------------------------------------

  /** The router serving `peer`, assigning one on first use (or after its worker died). */
  routerOf(peer: RoomMember): Promise<RoomRouter> {
    const current = this.#assignment.get(peer);
    if (current && !current.router.closed) return Promise.resolve(current);
    const next = this.#assigning.then(() => this.#assign(peer));
    this.#assigning = next.catch(() => undefined);
    return next;
  }

  async #assign(peer: RoomMember): Promise<RoomRouter> {
    const current = this.#assignment.get(peer);
    if (current && !current.router.closed) return current;
    if (this.#closed || peer.closed) throw new SfuFailure('not_joined', 'room or peer closed');
    let target: RoomRouter | undefined;
    for (const rr of this.#routers.values()) {
      if (rr.router.closed || rr.peers.size >= this.options.routerMaxPeers) continue;
      if (!target || rr.peers.size < target.peers.size) target = rr;
    }
    target ??= await this.#addRouter();
    if (peer.closed) throw new SfuFailure('not_joined', 'peer closed');
    target.peers.add(peer);
    target.slot.load++;
    this.#assignment.set(peer, target);
    return target;
  }

  async #addRouter(): Promise<RoomRouter> {
    const slot = this.#pool.leastLoaded(new Set(this.#routers.keys()));
    if (!slot) throw new SfuFailure('media_unavailable', 'no media worker available');
    const existing = this.#routers.get(slot.index);
    // Every worker already serves this room: grow the least loaded router beyond its limit.
    if (existing) return existing;
    let router: types.Router;
    try {
      router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    } catch (error) {
      throw mediaFailure(error, 'media_unavailable');
    }
    if (this.#closed) {
      router.close();
      throw new SfuFailure('not_joined', 'room closed');
    }
    const rr: RoomRouter = { router, slot, peers: new Set() };
    this.#routers.set(slot.index, rr);
    router.on('workerclose', () => this.#routerLost(rr));
    if (this.#routers.size > 1) this.#log.info({ event: 'room_spread', workers: this.#routers.size });
    return rr;
  }

  /** Router RTP capabilities are the same on every router (same codecs). */
  async rtpCapabilities(peer: RoomMember): Promise<types.RtpCapabilities> {
    return (await this.routerOf(peer)).router.rtpCapabilities;
  }

  /** The pipe transports from `source` to `target`, if any producer was piped that way. */
  pipeLink(source: RoomRouter, target: RoomRouter): PipeLink | undefined {
    return this.#links.get(`${source.router.id}>${target.router.id}`);
  }

  /** Makes `entry`'s producer consumable on `target` (same producer ID there). */
  pipeProducerTo(entry: ProducerEntry, target: RoomRouter): Promise<void> {
    const source = this.#assignment.get(entry.peer);
    if (!source || source === target) return Promise.resolve();
    const key = `${entry.producer.id}/${target.router.id}`;
    let pipe = this.#pipes.get(key);
    if (!pipe) {
      const linkKey = `${source.router.id}>${target.router.id}`;
      let link = this.#links.get(linkKey);
      if (!link) {
        link = new PipeLink(source.router, target.router);
        this.#links.set(linkKey, link);
      }
      pipe = link.pipe(entry.producer).catch((error: unknown) => {
        this.#pipes.delete(key);
        throw mediaFailure(error, 'media_unavailable');
      });
      this.#pipes.set(key, pipe);
    }
    return pipe;
  }

  #routerLost(rr: RoomRouter): void {
    if (this.#closed) return;
    this.#routers.delete(rr.slot.index);
    for (const key of [...this.#pipes.keys()]) if (key.endsWith(`/${rr.router.id}`)) this.#pipes.delete(key);
    for (const key of [...this.#links.keys()])
      if (key.split('>').includes(rr.router.id)) this.#links.delete(key);
    for (const peer of rr.peers) {
      this.#assignment.delete(peer);
      peer.mediaLost();
    }
    rr.peers.clear();
    void this.#audio?.then(
      (audio) => {
        if (audio.rr !== rr) return;
        audio.loudness.close();
        this.#audio = undefined;
        for (const entry of this.#producers.values())
          if (entry.producer.kind === 'audio') this.#observe(entry);
      },
      () => undefined,
    );
  }

  // ---- producers ---------------------------------------------------------------------------

  producerAdded(entry: ProducerEntry): void {
    this.#producers.set(entry.producer.id, entry);
    this.broadcast('newProducer', entry.peer.info(entry), entry.peer);
    if (entry.producer.kind !== 'audio') return;
    this.#observe(entry);
    this.#audibilityChanged(this.#audible.add(entry.producer.id));
  }

  /** Whether `entry`'s audio is forwarded now; video always is. */
  isAudible(entry: ProducerEntry): boolean {
    return entry.producer.kind !== 'audio' || this.#audible.audible(entry.producer.id);
  }

  /** Pauses or resumes every peer's consumers of the microphones whose audibility changed. */
  #audibilityChanged(changes: Changes): void {
    const told = (ids: string[], audible: boolean) => {
      for (const id of ids) {
        const entry = this.#producers.get(id);
        if (!entry) continue;
        for (const peer of this.#peers.values())
          if (peer !== entry.peer) peer.audibilityChanged(entry, audible);
      }
    };
    told(changes.inaudible, false);
    told(changes.audible, true);
  }

  producerRemoved(entry: ProducerEntry): void {
    if (this.#producers.get(entry.producer.id) !== entry) return;
    this.#producers.delete(entry.producer.id);
    if (this.#activeSpeaker?.producerId === entry.producer.id) this.#activeSpeaker = undefined;
    if (entry.producer.kind === 'audio' && !this.#closed)
      this.#audibilityChanged(this.#audible.remove(entry.producer.id));
    for (const key of [...this.#pipes.keys()])
      if (key.startsWith(`${entry.producer.id}/`)) this.#pipes.delete(key);
    if (this.#closed) return;
    for (const peer of this.#peers.values()) if (peer !== entry.peer) peer.producerGone(entry);
    this.broadcast('producerClosed', { producerId: entry.producer.id }, entry.peer);
  }

  /** Active speaker and audio levels are observed on one router; audio from others is piped there. */
  #observe(entry: ProducerEntry): void {
    const owner = this.#assignment.get(entry.peer);
    if (!owner) return;
    this.#audio ??= this.#createObservers(owner);
    const audio = this.#audio;
    void audio
      .then(async ({ rr, speaker, levels, loudness }) => {
        await this.pipeProducerTo(entry, rr);
        if (entry.producer.closed || speaker.closed) return;
        await speaker.addProducer({ producerId: entry.producer.id });
        await levels.addProducer({ producerId: entry.producer.id });
        await loudness.addProducer(entry.producer.id);
      })
      .catch((error: unknown) => {
        if (this.#audio === audio && !this.#closed) this.#audio = undefined;
        this.#log.debug({ event: 'audio_observe_failed', err: error });
      });
  }

  async #createObservers(rr: RoomRouter): Promise<AudioObservers> {
    const speaker = await rr.router.createActiveSpeakerObserver({ interval: 300 });
    const levels = await rr.router.createAudioLevelObserver({ maxEntries: 8, threshold: -70, interval: 400 });
    speaker.on('dominantspeaker', ({ producer }) => {
      const entry = this.#producers.get(producer.id);
      if (!entry) return;
      this.#activeSpeaker = { producerId: producer.id, peerId: entry.peer.id };
      this.broadcast('activeSpeaker', this.#activeSpeaker);
    });
    levels.on('volumes', (volumes) => {
      const list = [];
      for (const { producer, volume } of volumes) {
        const entry = this.#producers.get(producer.id);
        if (entry) list.push({ producerId: producer.id, peerId: entry.peer.id, volume });
      }
      if (list.length > 0) this.broadcast('audioLevels', { levels: list });
    });
    levels.on('silence', () => this.broadcast('audioLevels', { levels: [] }));
    const loudness = await Loudness.create(
      rr.router,
      { ...AUDIBLE_WINDOW, maxEntries: this.options.audibleSpeakers },
      (loud) => {
        if (!this.#closed) this.#audibilityChanged(this.#audible.loud(loud, performance.now()));
      },
    );
    return { rr, speaker, levels, loudness };
  }

  // ---- life-cycle --------------------------------------------------------------------------

  peerClosed(peer: RoomMember): void {
    if (!this.#peers.delete(peer.id)) return;
    const rr = this.#assignment.get(peer);
    if (rr) {
      rr.peers.delete(peer);
      rr.slot.load--;
      this.#assignment.delete(peer);
    }
    if (this.#closed) return;
    this.broadcast('peerLeft', { peerId: peer.id });
    if (this.#peers.size === 0) this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const peer of [...this.#peers.values()]) peer.close();
    for (const rr of this.#routers.values()) rr.router.close();
    this.#routers.clear();
    this.#pipes.clear();
    this.#links.clear();
    void this.#audio?.then(
      (audio) => audio.loudness.close(),
      () => undefined,
    );
    this.#audio = undefined;
    this.emit('close');
  }
}
