import type { types } from 'mediasoup';

/**
 * Video producers carried by one pipe transport pair. Each pipe transport is one UDP socket
 * with the kernel's default receive buffer (mediasoup 3.12 cannot enlarge it): on the order
 * of a hundred full-size packets. A piped producer sends every simulcast layer (~270 packets/s for a
 * camera, with bursts on key frames), so one socket for all the producers of a router
 * overflows: with 25 cameras behind one pipe a third and more of the packets were dropped,
 * the piped streams' scores fell to 0 and consumers on the other worker got no layer at all.
 */
export const PIPE_MAX_VIDEO_PRODUCERS = 4;

/** A connected pair of pipe transports from a source router to a target router. */
interface PipeTransports {
  readonly local: types.PipeTransport;
  readonly remote: types.PipeTransport;
}

interface PipePair {
  ready: Promise<PipeTransports>;
  /** Live video producers piped through this pair (reserved before the pair is ready). */
  video: number;
  closed: boolean;
}

/**
 * The pipe transports from one router of a room to another, one direction. Replaces
 * Router.pipeToRouter, which sends every producer between two routers through a single pair
 * of transports: here each pair carries at most PIPE_MAX_VIDEO_PRODUCERS video producers and
 * a new pair is opened for more. Audio producers go through the least loaded pair.
 */
export class PipeLink {
  readonly #source: types.Router;
  readonly #target: types.Router;
  readonly #pairs: PipePair[] = [];

  constructor(source: types.Router, target: types.Router) {
    this.#source = source;
    this.#target = target;
  }

  /** Open pairs (for tests and metrics). */
  get pairCount(): number {
    return this.#pairs.length;
  }

  /**
   * Consumes `producer` on the source router and produces it on the target router with the
   * same ID, keeping pause state in sync; closing either side closes the other.
   */
  async pipe(producer: types.Producer): Promise<void> {
    const video = producer.kind === 'video';
    let pair = this.#choose(video);
    if (video) pair.video++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (video) pair.video--;
    };
    let pipeConsumer: types.Consumer | undefined;
    let pipeProducer: types.Producer | undefined;
    try {
      let transports: PipeTransports;
      try {
        transports = await pair.ready;
      } catch (error) {
        // No new pair (e.g. the pipe port range is used up): crowd an existing one rather than fail.
        const fallback = this.#leastLoaded();
        if (!fallback) throw error;
        if (video) {
          pair.video--;
          fallback.video++;
        }
        pair = fallback;
        transports = await pair.ready;
      }
      pipeConsumer = await transports.local.consume({ producerId: producer.id });
      pipeProducer = await transports.remote.produce({
        id: producer.id,
        kind: pipeConsumer.kind,
        rtpParameters: pipeConsumer.rtpParameters,
        paused: pipeConsumer.producerPaused,
        appData: producer.appData,
      });
      if (producer.closed) throw new Error('producer closed while piping');
      if (pipeProducer.paused !== producer.paused) {
        if (producer.paused) await pipeProducer.pause();
        else await pipeProducer.resume();
      }
    } catch (error) {
      release();
      pipeConsumer?.close();
      pipeProducer?.close();
      throw error;
    }
    const consumer = pipeConsumer;
    const piped = pipeProducer;
    consumer.observer.on('close', () => {
      release();
      piped.close();
    });
    consumer.observer.on('pause', () => void piped.pause().catch(() => undefined));
    consumer.observer.on('resume', () => void piped.resume().catch(() => undefined));
    piped.observer.on('close', () => consumer.close());
  }

  #leastLoaded(): PipePair | undefined {
    const open = this.#pairs.filter((pair) => !pair.closed);
    return open.length > 0 ? open.reduce((a, b) => (b.video < a.video ? b : a)) : undefined;
  }

  /** The pair for a new producer: the first with room for a video producer, or a new one. */
  #choose(video: boolean): PipePair {
    if (!video) return this.#leastLoaded() ?? this.#open();
    const free = this.#pairs.find((pair) => !pair.closed && pair.video < PIPE_MAX_VIDEO_PRODUCERS);
    return free ?? this.#open();
  }

  #open(): PipePair {
    const pair = { video: 0, closed: false } as PipePair;
    const forget = () => {
      pair.closed = true;
      const index = this.#pairs.indexOf(pair);
      if (index >= 0) this.#pairs.splice(index, 1);
    };
    pair.ready = this.#connect(forget);
    pair.ready.catch(forget);
    this.#pairs.push(pair);
    return pair;
  }

  async #connect(onClose: () => void): Promise<PipeTransports> {
    const options = { listenIp: '127.0.0.1', enableSctp: false, enableRtx: false, enableSrtp: false };
    const [local, remote] = await Promise.allSettled([
      this.#source.createPipeTransport(options),
      this.#target.createPipeTransport(options),
    ]);
    if (local.status === 'rejected' || remote.status === 'rejected') {
      if (local.status === 'fulfilled') local.value.close();
      if (remote.status === 'fulfilled') remote.value.close();
      throw local.status === 'rejected' ? local.reason : (remote as PromiseRejectedResult).reason;
    }
    const pair = { local: local.value, remote: remote.value };
    pair.local.observer.once('close', () => {
      onClose();
      pair.remote.close();
    });
    pair.remote.observer.once('close', () => {
      onClose();
      pair.local.close();
    });
    try {
      await Promise.all([
        pair.local.connect({ ip: pair.remote.tuple.localIp, port: pair.remote.tuple.localPort }),
        pair.remote.connect({ ip: pair.local.tuple.localIp, port: pair.local.tuple.localPort }),
      ]);
    } catch (error) {
      pair.local.close();
      throw error;
    }
    return pair;
  }
}
