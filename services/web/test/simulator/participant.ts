/**
 * A simulated meeting participant in Node that a browser in the same meeting cannot tell from
 * another browser: the real SRP join, the web client's own MLS session (`MlsSession` over an
 * in-process `InPageGroup`) and roster (`RosterChat`, announced as meeting.ts does: to everyone
 * on the first epoch, to the newcomers on later ones), epoch keys installed by the client's
 * policy (epoch-keys.ts) into the SFrame key store, and media looped from recorded clips,
 * SFrame-encrypted by the client's FrameCryptor and sent over a real WebRtcTransport (its camera
 * in three simulcast layers with `cameraLayers`, sfu-media.ts). It can also receive the
 * others' microphones and decrypt them (sfu-receive.ts). It notes when its join started and
 * when it reached each epoch, for latency measurements.
 *
 * Everything is bounded: a participant leaves by itself after `maxDurationMs`.
 */
import { FrameCryptor, type FrameCryptorStats, type MediaContextName, SFrameKeyStore } from '@conclave/e2ee';
import { senderFor } from '../../src/app/media-binding.ts';
import { installEpoch } from '../../src/app/meeting/epoch-keys.ts';
import { introductionAudience } from '../../src/app/meeting/introductions.ts';
import { RosterChat } from '../../src/app/meeting/roster-chat.ts';
import type { RosterEntry } from '../../src/app/meeting/types.ts';
import { InPageGroup } from '../../src/app/mls-group.ts';
import { type EpochView, MlsSession } from '../../src/app/mls-session.ts';
import type { MediaClip } from './media-clip.ts';
import type { LoopStats } from './media-loop.ts';
import { type ClipSource, type SentMedia, sendMedia } from './sfu-media.ts';
import { AudioReceiver, type ReceivedAudio } from './sfu-receive.ts';
import { SfuSignaling } from './sfu-signaling.ts';
import { srpJoin } from './srp-join.ts';

/** How often the media loops are ticked. */
const TICK_MS = 10;

export interface ParticipantOptions {
  /** The meeting link (a host link joins as host). */
  link: string;
  name: string;
  /** Clips to send, one producer each (`mic` Opus, `camera` VP8). */
  media: ClipSource[];
  /**
   * The camera in simulcast layers instead (lowest first, simulcast-clips.ts), sent with the
   * `mic` of `media`; a `camera` in `media` is then not sent.
   */
  cameraLayers?: MediaClip[];
  /** Receives and decrypts the others' microphones too. Default true. */
  receiveAudio?: boolean;
  /** The participant leaves by itself after this long. Default 10 minutes. */
  maxDurationMs?: number;
}

export interface ParticipantState {
  name: string;
  epoch: number;
  size: number;
  securityCode: string;
  ownLeaf: number;
  member: string;
  peerId: string;
  /** Names in the roster as this participant received it (its own included). */
  roster: string[];
  packetsSent: number;
  keyFrameRequests: number;
  loops: Record<string, LoopStats>;
  /** Sending and receiving together (one key store, as in the browser's frame worker). */
  crypto: FrameCryptorStats;
  /** Microphones received, by the name the roster gives their SFU peer. */
  received: (ReceivedAudio & { name: string })[];
  /** Why it ended, once it has. */
  ended: string | undefined;
}

export class SimulatedParticipant {
  readonly name: string;
  readonly keys = new SFrameKeyStore();
  readonly cryptor = new FrameCryptor(this.keys);
  epoch: EpochView | undefined;
  ended: string | undefined;
  /** `performance.now()` when the join started (before the SRP request). */
  joinStartedAt = 0;
  /** `performance.now()` when each epoch was reached (the first: the Welcome processed). */
  readonly epochAt = new Map<number, number>();
  readonly #options: ParticipantOptions;
  #mls: MlsSession | undefined;
  #people: RosterChat | undefined;
  #sfu: SfuSignaling | undefined;
  #media: SentMedia | undefined;
  #receiver: AudioReceiver | undefined;
  #role: 'participant' | 'host' = 'participant';
  readonly #timers: NodeJS.Timeout[] = [];

  private constructor(options: ParticipantOptions) {
    this.name = options.name;
    this.#options = options;
  }

  /** Joins: SRP, then the DS (MLS) and the SFU (media) in parallel, as the web client does. */
  static async join(options: ParticipantOptions): Promise<SimulatedParticipant> {
    const p = new SimulatedParticipant(options);
    const stop = setTimeout(() => p.leave('timeout'), options.maxDurationMs ?? 600_000);
    stop.unref();
    p.#timers.push(stop);
    try {
      await p.#join();
    } catch (error) {
      p.leave('failed');
      throw error;
    }
    return p;
  }

  async #join(): Promise<void> {
    this.joinStartedAt = performance.now();
    const { granted, secrets } = await srpJoin(this.#options.link);
    this.#role = granted.role;
    const noop = () => {};
    const mls = new MlsSession(
      secrets,
      {
        epoch: (view) => this.#onEpoch(view),
        application: (sender, message) => this.#people?.receive(sender, message),
        closed: (code, reason) => this.leave(`ds closed ${code} ${reason}`.trim()),
        connection: noop,
      },
      new InPageGroup(secrets),
    );
    mls.rotationMs = (granted.keyRotationSeconds ?? 0) * 1000;
    this.#mls = mls;
    this.#people = new RosterChat(this.name, (kind, body, to) => mls.send(kind, body, to), {
      changed: noop,
      notice: noop,
      presence: noop,
      chat: noop,
      reaction: noop,
      rosterChanged: noop,
      locked: noop,
    });
    await Promise.all([
      mls.connectTo(granted.dsUrl, granted.token),
      this.#startMedia(granted.sfuUrl, granted.token),
    ]);
  }

  async #startMedia(url: string, token: string): Promise<void> {
    const sfu = await SfuSignaling.connect(url, token);
    this.#sfu = sfu;
    sfu.onClosed = (code) => this.leave(`sfu closed ${code}`);
    sfu.onNotification = (n) => {
      if (n.method === 'roomEnded') this.leave('ended');
      this.#receiver?.notification(n);
    };
    const layers = this.#options.cameraLayers;
    const media = this.#options.media;
    this.#media = await sendMedia(
      sfu,
      this.cryptor,
      layers ? [...media.filter((m) => m.source !== 'camera'), { source: 'camera', layers }] : media,
    );
    if (this.#options.receiveAudio ?? true) {
      // Whose frames a consumer may carry: the roster's word (signed in MLS), not the SFU's.
      const expected = (peerId: string) =>
        senderFor(this.#people?.others(this.epoch?.ownLeaf) ?? [], peerId, 'mic');
      this.#receiver = await AudioReceiver.open(sfu, this.cryptor, expected);
    }
    const loops = this.#media.loops;
    this.#timers.push(
      setInterval(() => {
        const now = performance.now();
        for (const loop of loops) loop.tick(now);
      }, TICK_MS),
    );
    this.#announceSelf();
  }

  #onEpoch(view: EpochView): void {
    const first = this.epoch === undefined;
    this.epoch = view;
    this.epochAt.set(Number(view.epoch), performance.now());
    // Key frame requests are for video receivers: this participant receives audio only.
    installEpoch({ installEpoch: (keys) => this.keys.installEpoch(keys) }, view, first);
    this.#people?.prune(view);
    const audience = introductionAudience(first, view.added, (leaf) => this.#mls?.memberAt(leaf));
    if (audience) this.#announceSelf(audience.to);
  }

  #announceSelf(to?: readonly string[]): void {
    if (!this.epoch || !this.#sfu || !this.#mls || !this.#people || this.ended) return;
    const self: RosterEntry = {
      leaf: this.epoch.ownLeaf,
      name: this.name,
      peerId: this.#sfu.peerId,
      member: this.#mls.member,
      hand: this.#people.hand,
      host: this.#role === 'host',
    };
    this.#people.announce(self, to);
  }

  /** Sets the audio level its microphone packets carry (−dBov: 0 loudest, 127 silent). */
  setAudioLevel(level: number): void {
    for (const loop of this.#media?.loops ?? []) loop.audioLevel = level;
  }

  sendChat(text: string): Promise<void> {
    if (!this.#people) return Promise.reject(new Error('not joined'));
    return this.#people.sendChat(text);
  }

  state(): ParticipantState {
    const loops: Record<string, LoopStats> = {};
    for (const loop of this.#media?.loops ?? []) loops[loop.spec.source] = { ...loop.stats };
    return {
      name: this.name,
      epoch: this.epoch ? Number(this.epoch.epoch) : -1,
      size: this.epoch?.size ?? 0,
      securityCode: this.epoch?.securityCode ?? '',
      ownLeaf: this.epoch?.ownLeaf ?? -1,
      member: this.#mls?.member ?? '',
      peerId: this.#sfu?.peerId ?? '',
      roster: [...(this.#people?.roster.values() ?? [])].map((r) => r.name),
      packetsSent: this.#media?.sender.packetsSent ?? 0,
      keyFrameRequests: this.#media?.sender.keyFrameRequests ?? 0,
      loops,
      crypto: this.cryptor.stats(),
      received: (this.#receiver?.received() ?? []).map((r) => ({
        ...r,
        name: [...(this.#people?.roster.values() ?? [])].find((e) => e.peerId === r.peerId)?.name ?? '',
      })),
      ended: this.ended,
    };
  }

  /** The producer IDs by source. */
  get producers(): ReadonlyMap<MediaContextName, string> {
    return this.#media?.producers ?? new Map();
  }

  /** Leaves the meeting: the group (the DS asks a member to commit the Remove), then media. */
  leave(reason = 'left'): void {
    if (this.ended) return;
    this.ended = reason;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#mls?.leave();
    this.#sfu?.close();
    this.#media?.sender.close();
    this.#receiver?.close();
    this.keys.clear();
  }
}
