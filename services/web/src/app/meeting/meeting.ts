/**
 * One meeting as the page sees it, composed of units with one job each: the connections and
 * rejoin (connection.ts), roster and chat (roster-chat.ts), this person's media
 * (local-media.ts) and how well it is sent (send-quality.ts), everyone else's (remote-media.ts),
 * which video the SFU forwards (video-subscriptions.ts), epoch keys (epoch-keys.ts), the host's controls (host-controls.ts) and who records
 * (recording-notices.ts). Views read the units'
 * state and subscribe to `changed`.
 */
import type { MeetingLink } from '@conclave/e2ee';
import type { JoinTicket, JoinTickets } from '../join-ticket.ts';
import { MediaCrypto } from '../media-crypto.ts';
import { type EpochView, MlsSession } from '../mls-session.ts';
import { SfuSession } from '../sfu-session.ts';
import { AudioOutput } from './audio-output.ts';
import { MeetingConnection, markJoinPhase } from './connection.ts';
import { installEpoch } from './epoch-keys.ts';
import { HostControls } from './host-controls.ts';
import { LocalMedia } from './local-media.ts';
import { onPageReturn } from './page-return.ts';
import { RecordingNotices } from './recording-notices.ts';
import { RemoteMedia } from './remote-media.ts';
import { introductionAudience } from './introductions.ts';
import { RosterChat } from './roster-chat.ts';
import { SendQuality } from './send-quality.ts';
import { VideoSubscriptions } from './video-subscriptions.ts';
import type { EndReason, MeetingListener, RosterEntry } from './types.ts';

export class Meeting {
  readonly link: MeetingLink;
  readonly name: string;
  readonly crypto = new MediaCrypto();
  readonly mls: MlsSession;
  readonly sfu: SfuSession;
  readonly connection: MeetingConnection;
  readonly people: RosterChat;
  readonly local: LocalMedia;
  readonly remote: RemoteMedia;
  /** Which remote video the SFU forwards: what the grid shows (the grid tells it). */
  readonly video: VideoSubscriptions;
  /** How well this person's own media reaches the SFU. */
  readonly sending: SendQuality;
  readonly host: HostControls;
  /** Who records this meeting (the notices every member sees), and the host's ask-first preference. */
  readonly recording: RecordingNotices;
  /** Where the others are heard (the settings panel's speaker choice). */
  readonly speaker = new AudioOutput();
  epoch: EpochView | undefined;
  ended: EndReason | undefined;
  /** Times the page came back from the background (the tests read it). */
  returns = 0;
  readonly #tickets: JoinTickets;
  #listener: MeetingListener | undefined;
  readonly #stopWatchingReturn: () => void;
  #watching = false;

  constructor(tickets: JoinTickets, name: string, stream: MediaStream) {
    this.#tickets = tickets;
    this.link = tickets.link;
    this.name = name;
    // Units report through this one relay: the view listens once, to all of them.
    const events: Omit<MeetingListener, 'ended'> = {
      changed: () => this.#listener?.changed(),
      notice: (text) => this.#listener?.notice(text),
      presence: (text) => this.#listener?.presence(text),
      chat: (line) => this.#listener?.chat(line),
      reaction: (who, emoji) => this.#listener?.reaction(who, emoji),
    };
    const ended = () => this.ended !== undefined;
    this.mls = new MlsSession(tickets.secrets, {
      epoch: (view) => this.#onEpoch(view),
      application: (sender, message) =>
        message.kind === 'recording'
          ? void this.recording.receive(sender, message.body)
          : this.people.receive(sender, message),
      closed: (code, reason) => this.connection.dsClosed(code, reason),
      connection: (state) => this.connection.dsState(state),
    });
    this.sfu = new SfuSession(this.crypto, {
      consumer: (consumer, info) => this.remote.added(consumer, info),
      consumerClosed: (id) => this.remote.removed(id),
      producerPaused: (producerId, paused) => this.remote.producerPaused(producerId, paused),
      consumerAudible: (consumerId, audible) => this.remote.audible(consumerId, audible),
      peerLeft: (peerId) => this.remote.peerLeft(peerId),
      activeSpeaker: (peerId) => this.remote.speaking(peerId),
      hostAction: (action, sources) => this.local.hostAction(action, sources),
      closed: (code) => this.connection.sfuClosed(code),
    });
    this.people = new RosterChat(name, (kind, body, to) => this.mls.send(kind, body, to), {
      ...events,
      rosterChanged: () => this.remote.bind(),
      locked: (locked) => {
        this.host.locked = locked;
      },
    });
    this.local = new LocalMedia(stream, this.sfu, events);
    this.sending = new SendQuality(() => this.sfu.producers);
    this.video = new VideoSubscriptions({
      pause: (consumerId) => this.sfu.request('pauseConsumer', { consumerId }),
      resume: (consumerId) => this.sfu.request('resumeConsumer', { consumerId }),
      layer: (consumerId, spatialLayer) =>
        this.sfu.request('setConsumerPreferredLayers', { consumerId, spatialLayer }),
    });
    this.remote = new RemoteMedia({
      crypto: this.crypto,
      forwarding: (consumerId) => this.video.state(consumerId),
      requestKeyFrame: (consumerId) => this.sfu.request('requestKeyFrame', { consumerId }),
      claims: () => this.people.others(this.epoch?.ownLeaf),
      ended,
      sendRtt: () => this.sending.rtt,
      events,
    });
    this.crypto.onWrongSender = (consumerId) => this.remote.wrongSender(consumerId);
    this.host = new HostControls({
      link: this.link,
      nameKey: tickets.secrets.nameKey,
      roster: this.people.roster,
      sfu: this.sfu,
      mls: this.mls,
      announceLock: (locked) => this.people.announceLock(locked),
      end: (reason) => this.#end(reason),
      ended,
      events,
    });
    this.recording = new RecordingNotices({
      send: (kind, body, to) => this.mls.send(kind, body, to),
      roster: this.people.roster,
      ownLeaf: () => this.epoch?.ownLeaf,
      isHost: () => this.isHost,
      events,
    });
    this.connection = new MeetingConnection({
      tickets,
      mls: this.mls,
      sfu: this.sfu,
      publish: async () => {
        await this.local.publish();
        this.#announceSelf();
      },
      dropRemoteMedia: () => this.remote.clear(),
      groupLost: () => this.#groupLost(),
      end: (reason) => this.#end(reason),
      ended,
      events,
    });
    this.#stopWatchingReturn = onPageReturn(() => this.#returned());
  }

  get isHost(): boolean {
    return this.connection.role === 'host';
  }

  listen(listener: MeetingListener): void {
    this.#listener = listener;
  }

  async join(ticket: JoinTicket): Promise<void> {
    await this.connection.join(ticket);
    if (this.isHost && !this.ended) void this.host.watchLobby();
  }

  leave(): void {
    this.#end('left');
  }

  /**
   * Called every second: stalled pictures get a key frame; everyone's connection quality is
   * measured. A round still reading stats (a busy computer) is not overlapped by the next.
   */
  async watchMedia(): Promise<void> {
    if (this.#watching) return;
    this.#watching = true;
    try {
      const [sendingChanged] = await Promise.all([this.sending.sample(), this.remote.watch()]);
      if (sendingChanged) this.#listener?.changed();
    } finally {
      this.#watching = false;
    }
  }

  setHand(up: boolean): Promise<void> {
    return this.people.setHand(up, this.epoch?.ownLeaf);
  }

  #onEpoch(view: EpochView): void {
    const first = this.epoch === undefined;
    if (first) markJoinPhase('mls-joined');
    this.epoch = view;
    for (const delay of installEpoch(this.crypto, view, first))
      setTimeout(() => this.remote.requestKeyFrames(), delay);
    this.people.prune(view);
    this.recording.prune(view);
    this.remote.bind();
    // Newcomers learn names first, then who records (the notice names a roster entry).
    const audience = introductionAudience(first, view.added, (leaf) => this.mls.memberAt(leaf));
    if (audience) {
      this.#announceSelf(audience.to);
      this.recording.joined(audience.to);
    }
    this.#listener?.changed();
  }

  /**
   * The MLS membership is gone and a new one is on its way: its first epoch is a first again
   * (keys at once, key frames asked for, this person announced), and the roster, whose leaves
   * were the old group's, is rebuilt from the new group's announcements.
   */
  #groupLost(): void {
    this.epoch = undefined;
    this.people.clear();
    this.recording.clear();
    this.remote.bind();
    this.#listener?.notice('Reconnecting the meeting’s encryption…');
  }

  /**
   * Back from the background: the camera is reopened if the system took it, and every picture
   * gets a key frame at once instead of waiting for the stall check (frames dropped while the
   * page was frozen leave the decoder without a reference). Audio needs nothing: it never stopped.
   */
  #returned(): void {
    if (this.ended) return;
    this.returns++;
    void this.local.restoreCamera();
    this.remote.requestKeyFrames();
    this.#listener?.changed();
  }

  /** Our roster entry, for everyone (`to` undefined) or for the newcomers in `to`. */
  #announceSelf(to?: readonly string[]): void {
    if (!this.epoch || !this.sfu.peerId) return;
    const self: RosterEntry = {
      leaf: this.epoch.ownLeaf,
      name: this.name,
      peerId: this.sfu.peerId,
      member: this.mls.member,
      hand: this.people.hand,
      host: this.isHost,
    };
    this.people.announce(self, to);
  }

  #end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = reason;
    this.#tickets.close();
    this.#stopWatchingReturn();
    this.host.close();
    this.sfu.close();
    this.mls.leave();
    this.crypto.close();
    this.local.stop();
    this.#listener?.ended(reason);
  }

  /** What the info panel and tests read. */
  async diagnostics(): Promise<Record<string, unknown>> {
    const epoch = this.epoch;
    const { receivers, ...crypto } = await this.crypto.stats();
    const remote = await this.remote.stats(receivers);
    return {
      role: this.connection.role,
      epoch: epoch ? Number(epoch.epoch) : -1,
      size: epoch?.size ?? 0,
      securityCode: epoch?.securityCode ?? '',
      roster: [...this.people.roster.values()].map((r) => ({ leaf: r.leaf, name: r.name, peerId: r.peerId })),
      peerId: this.sfu.peerId,
      cryptoMode: this.crypto.mode,
      crypto,
      remote,
      ended: this.ended ?? null,
      returns: this.returns,
      // Measured here, shown on the tiles; never sent anywhere.
      quality: {
        self: this.sending.level,
        peers: Object.fromEntries(
          [...this.remote.tracks.values()].map(({ peerId }) => [peerId, this.remote.quality(peerId)]),
        ),
      },
      cameras: this.local.cameras.length,
      // What is sent and how: a switch that keeps the producer (replaceTrack) keeps its ID.
      producers: Object.fromEntries([...this.sfu.producers].map(([source, p]) => [source, p.id])),
      noise: this.local.noise,
      background: this.local.effect.background.kind,
      cameraCapturing: this.local.capturing,
      // The DS's own leaf → member mapping (what a kick names), for the tests.
      member: this.mls.member,
      dsMembers: (epoch?.members ?? []).map((leaf) => ({ leaf, member: this.mls.memberAt(leaf) ?? '' })),
    };
  }
}
