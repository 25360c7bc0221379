import type { SfuRequestData } from '@conclave/protocol';
import type { types } from 'mediasoup';
import { SfuFailure } from './failure.ts';
import type { ProducerEntry, RoomMember } from './room-member.ts';

interface ConsumerEntry {
  readonly consumer: types.Consumer;
  readonly entry: ProducerEntry;
  /** Closed because the client asked (no `consumerClosed` notification then). */
  closedByClient: boolean;
  /** The client's wish: consumers start paused until it resumes them. */
  pausedByClient: boolean;
  /** A microphone the room does not forward now (audible-speakers.ts). */
  inaudible: boolean;
  /** Pauses and resumes of this consumer, one after another. */
  syncing: Promise<void>;
}

/**
 * The consumers of one peer: what it receives, indexed by producer so a producer's close finds
 * them at once, and the requests a client makes on them. Every consumer closes with its
 * transport; the client hears `consumerClosed` for any it did not close itself.
 */
export class PeerConsumers {
  readonly #peer: Pick<RoomMember, 'closed' | 'connection'>;
  readonly #byId = new Map<string, ConsumerEntry>();
  /** Consumer IDs by producer. */
  readonly #ofProducer = new Map<ProducerEntry, Set<string>>();

  constructor(peer: Pick<RoomMember, 'closed' | 'connection'>) {
    this.#peer = peer;
  }

  get size(): number {
    return this.#byId.size;
  }

  list(): types.Consumer[] {
    return [...this.#byId.values()].map((c) => c.consumer);
  }

  /** `audible`: whether the room forwards this producer's audio now (always true for video). */
  adopt(consumer: types.Consumer, entry: ProducerEntry, audible = true): void {
    const record: ConsumerEntry = {
      consumer,
      entry,
      closedByClient: false,
      pausedByClient: consumer.paused,
      inaudible: !audible,
      syncing: Promise.resolve(),
    };
    this.#byId.set(consumer.id, record);
    const consumerId = consumer.id;
    const ofProducer = this.#ofProducer.get(entry) ?? new Set<string>();
    this.#ofProducer.set(entry, ofProducer.add(consumerId));
    consumer.on('producerpause', () => this.#peer.connection.notify('consumerPaused', { consumerId }));
    consumer.on('producerresume', () => this.#peer.connection.notify('consumerResumed', { consumerId }));
    consumer.on('layerschange', (layers) =>
      this.#peer.connection.notify('consumerLayersChanged', {
        consumerId,
        spatialLayer: layers?.spatialLayer ?? null,
        temporalLayer: layers?.temporalLayer ?? null,
      }),
    );
    consumer.observer.once('close', () => this.#forget(consumerId, record));
    // Told before the consume is answered, so the client knows the silence from the start.
    if (!audible) this.#peer.connection.notify('consumerAudible', { consumerId, audible });
  }

  /** Drops a closed consumer from this peer and tells the client unless it closed it itself. */
  #forget(consumerId: string, record: ConsumerEntry): void {
    if (this.#byId.get(consumerId) !== record) return;
    this.#byId.delete(consumerId);
    const ofProducer = this.#ofProducer.get(record.entry);
    ofProducer?.delete(consumerId);
    if (ofProducer?.size === 0) this.#ofProducer.delete(record.entry);
    if (!this.#peer.closed && !record.closedByClient)
      this.#peer.connection.notify('consumerClosed', { consumerId });
  }

  #get(consumerId: string): ConsumerEntry {
    const record = this.#byId.get(consumerId);
    if (!record) throw new SfuFailure('consumer_not_found', 'no such consumer of yours');
    return record;
  }

  /**
   * Runs a request on one of this peer's consumers. A consumer can close under a request (its
   * producer's owner left); that race answers consumer_not_found, like a consumer already gone.
   */
  async #with(consumerId: string, request: (consumer: ConsumerEntry['consumer']) => Promise<void>) {
    const { consumer, entry } = this.#get(consumerId);
    try {
      await request(consumer);
    } catch (error) {
      // The worker may refuse before the consumer's close reaches us (mediasoup delivers worker
      // notifications a tick after responses); the producer shows it first. Close it here, so
      // the client gets consumerClosed before this answer, never a bare consumer_not_found.
      if (consumer.closed || entry.producer.closed || !this.#byId.has(consumerId)) {
        this.#drop(consumerId);
        throw new SfuFailure('consumer_not_found', 'the consumer closed');
      }
      throw error;
    }
  }

  /**
   * Closes a consumer the client did not close and tells the client (`consumerClosed`), once.
   * Safe when mediasoup already closed it.
   */
  #drop(consumerId: string): void {
    const record = this.#byId.get(consumerId);
    if (!record) return;
    if (!record.consumer.closed) record.consumer.close(); // the 'close' observer forgets it
    this.#forget(consumerId, record);
  }

  /**
   * A producer of the room closed: its consumers here close now, announced with
   * `consumerClosed` before anything else this peer is told or answered, instead of when the
   * worker's notification arrives a tick later (or, for a piped producer, after the pipe closes).
   */
  producerGone(entry: ProducerEntry): void {
    for (const consumerId of [...(this.#ofProducer.get(entry) ?? [])]) this.#drop(consumerId);
  }

  pause(consumerId: string): Promise<void> {
    return this.#with(consumerId, () => this.#want(this.#get(consumerId), { pausedByClient: true }));
  }

  resume(consumerId: string): Promise<void> {
    return this.#with(consumerId, () => this.#want(this.#get(consumerId), { pausedByClient: false }));
  }

  /**
   * The room starts or stops forwarding `entry`'s audio (audible-speakers.ts). The client hears
   * `consumerAudible`, so that silence is not taken for a lost connection.
   */
  setAudible(entry: ProducerEntry, audible: boolean): void {
    for (const consumerId of this.#ofProducer.get(entry) ?? []) {
      const record = this.#byId.get(consumerId)!;
      if (record.inaudible === !audible) continue;
      this.#peer.connection.notify('consumerAudible', { consumerId, audible });
      this.#want(record, { inaudible: !audible }).catch(() => {
        // Closed meanwhile: its close is announced on its own.
      });
    }
  }

  /** Records a wish and brings the consumer to it: paused while the client or the room says so. */
  #want(
    record: ConsumerEntry,
    wish: Partial<Pick<ConsumerEntry, 'pausedByClient' | 'inaudible'>>,
  ): Promise<void> {
    Object.assign(record, wish);
    const step = record.syncing.then(async () => {
      const paused = record.pausedByClient || record.inaudible;
      if (record.consumer.closed || paused === record.consumer.paused) return;
      await (paused ? record.consumer.pause() : record.consumer.resume());
    });
    record.syncing = step.catch(() => undefined);
    return step;
  }

  close(consumerId: string): void {
    const record = this.#get(consumerId);
    record.closedByClient = true;
    record.consumer.close();
  }

  setPreferredLayers(data: SfuRequestData<'setConsumerPreferredLayers'>): Promise<void> {
    return this.#with(data.consumerId, async (consumer) => {
      if (consumer.type !== 'simulcast' && consumer.type !== 'svc') {
        throw new SfuFailure('invalid_request', 'the consumer has no layers');
      }
      await consumer.setPreferredLayers({
        spatialLayer: data.spatialLayer,
        temporalLayer: data.temporalLayer,
      });
    });
  }

  setPriority(consumerId: string, priority: number): Promise<void> {
    return this.#with(consumerId, (consumer) => consumer.setPriority(priority));
  }

  requestKeyFrame(consumerId: string): Promise<void> {
    return this.#with(consumerId, (consumer) => consumer.requestKeyFrame());
  }
}
