/**
 * One meeting as the page sees it: SRP join, the MLS group (roster, chat, keys), the SFU
 * (media), and the host's controls. Views read its state and subscribe to `changed`.
 */
import {
  type AppMessage,
  deriveMeetingSecrets,
  type MeetingLink,
  type MeetingSecrets,
  openDisplayName,
} from '@conclave/e2ee';
import type { JoinGranted } from '@conclave/protocol';
import type { Consumer } from 'mediasoup-client/types';
import {
  ApiError,
  answerKnock,
  endMeeting,
  lobbyWait,
  renewRejoin,
  requestJoin,
  rotateMeeting,
  setLocked,
} from './api.ts';
import { freshTicket, type JoinTicket } from './join-ticket.ts';
import { bindingKey, senderFor } from './media-binding.ts';
import { MediaCrypto } from './media-crypto.ts';
import { type EpochView, MlsSession } from './mls-session.ts';
import { SfuRequestError, SfuSession } from './sfu-session.ts';

export interface RosterEntry {
  leaf: number;
  name: string;
  peerId: string;
  member: string;
  hand: boolean;
  host: boolean;
}

export interface ChatLine {
  from: string;
  text: string;
  at: number;
  self: boolean;
}

export interface RemoteTrack {
  consumer: Consumer;
  peerId: string;
  source: 'mic' | 'camera' | 'screen';
  paused: boolean;
  /** The MLS leaf whose frames this consumer shows (see media-binding.ts); none: shows nothing. */
  leaf: number | undefined;
  /** The binding last sent to the frame worker. */
  binding: string | undefined;
  /** Frames of another member or source arrived on it (the SFU mislabelled it). */
  wrongSender: boolean;
}

/** Someone asking to be let into the locked meeting, as the host sees them. */
export interface LobbyEntry {
  knockId: string;
  /** Opened with the meeting's name key; the server only ever saw it sealed. */
  name: string;
}

export type EndReason = 'left' | 'removed' | 'ended' | 'lost' | 'refused';

export interface MeetingListener {
  changed(): void;
  chat(line: ChatLine): void;
  reaction(name: string, emoji: string): void;
  notice(text: string): void;
  ended(reason: EndReason): void;
}

const enc = new TextEncoder();
/** After an Add, senders keep the old key this long so members still processing the commit keep up. */
const SEND_AFTER_ADD_MS = 150;
/**
 * After a scheduled rotation nobody new is waiting for the new key, so senders wait longer: a
 * phone or a loaded laptop that takes a second to process the commit still loses no frame.
 * Well inside the receivers' grace period for the previous key (SFrameKeyStore, 5 s).
 */
const SEND_AFTER_ROTATION_MS = 1000;
/** Join phases on the performance timeline (read by the time-to-media benchmark). */
const mark = (phase: string) => performance.mark(`conclave:${phase}`);
const dec = new TextDecoder();
/** Rejoin secrets live 30 minutes on the server: trade them in well before. */
const REJOIN_RENEW_MS = 10 * 60_000;
export const MISLABELLED_MEDIA =
  'The media server sent audio or video that did not come from the person it was labelled with. It is not shown. The server may be compromised.';

export class Meeting {
  readonly link: MeetingLink;
  readonly name: string;
  readonly stream: MediaStream;
  secrets!: MeetingSecrets;
  role: 'participant' | 'host' = 'participant';
  readonly crypto = new MediaCrypto();
  readonly mls: MlsSession;
  readonly sfu: SfuSession;
  epoch: EpochView | undefined;
  readonly roster = new Map<number, RosterEntry>();
  readonly tracks = new Map<string, RemoteTrack>();
  readonly chat: ChatLine[] = [];
  activeSpeaker = '';
  micOn: boolean;
  camOn: boolean;
  screen: MediaStream | undefined;
  hand = false;
  mutedByHost = false;
  locked = false;
  /** Scheduled key rotation interval from the join answer, in seconds (0: off). */
  keyRotationSeconds = 0;
  connection: 'connected' | 'reconnecting' = 'connected';
  /** Media the SFU labelled with someone it did not come from was refused (shown as a warning). */
  mislabelledMedia = false;
  ended: EndReason | undefined;
  #listener: MeetingListener | undefined;
  /** People knocking while the meeting is locked (hosts only). */
  lobby: LobbyEntry[] = [];
  #sfuUrl = '';
  #reconnecting = false;
  /** Lets this session back in through a lock after a dropped connection. */
  #rejoin: string | undefined;
  #rejoinTimer: ReturnType<typeof setInterval> | undefined;
  readonly #lobbyAbort = new AbortController();
  readonly #lobbyNames = new Map<string, string>();

  constructor(link: MeetingLink, name: string, stream: MediaStream, secrets: MeetingSecrets) {
    this.link = link;
    this.name = name;
    this.stream = stream;
    this.secrets = secrets;
    this.micOn = stream.getAudioTracks().some((t) => t.enabled);
    this.camOn = stream.getVideoTracks().some((t) => t.enabled);
    this.mls = new MlsSession(secrets, {
      epoch: (view) => this.#onEpoch(view),
      application: (sender, message) => this.#onApplication(sender, message),
      closed: (code) =>
        this.#end(code === 4410 || code === 4403 ? 'removed' : code === 4411 ? 'ended' : 'lost'),
      connection: (state) => {
        this.connection = state;
        this.#changed();
      },
    });
    this.crypto.onWrongSender = (consumerId) => this.#onWrongSender(consumerId);
    this.sfu = new SfuSession(this.crypto, {
      consumer: (consumer, info) => {
        this.tracks.set(consumer.id, {
          consumer,
          peerId: info.peerId,
          source: info.source,
          paused: info.producerPaused,
          leaf: undefined,
          binding: undefined,
          wrongSender: false,
        });
        this.#bindTracks();
        // Its first key frame may have been sent under a key we did not hold yet: ask again
        // once the sender surely uses the current epoch.
        if (consumer.kind === 'video') {
          setTimeout(() => this.#requestKeyFrames(new Set([consumer.id])), SEND_AFTER_ADD_MS + 100);
        }
        this.#changed();
      },
      consumerClosed: (id) => {
        this.tracks.delete(id);
        this.crypto.releaseReceiver(id);
        this.#changed();
      },
      producerPaused: (producerId, paused) => {
        for (const t of this.tracks.values()) if (t.consumer.producerId === producerId) t.paused = paused;
        this.#changed();
      },
      peerLeft: (peerId) => {
        for (const [id, t] of this.tracks)
          if (t.peerId === peerId) {
            this.tracks.delete(id);
            this.crypto.releaseReceiver(id);
          }
        this.#changed();
      },
      activeSpeaker: (peerId) => {
        this.activeSpeaker = peerId;
        this.#changed();
      },
      hostAction: (action, sources) => this.#onHostAction(action, sources),
      closed: (code) => {
        if (code === 4003) this.#end('removed');
        else if (code === 4004) this.#end('ended');
        else if (code !== 4009) void this.#reconnectMedia();
      },
    });
  }

  /** Binds every consumer to the leaf the MLS roster gives for its peer; asks for a key frame when that changes. */
  #bindTracks(): void {
    const claims = [...this.roster.values()].filter((e) => e.leaf !== this.epoch?.ownLeaf);
    const rebound = new Set<string>();
    for (const [id, t] of this.tracks) {
      const sender = senderFor(claims, t.peerId, t.source);
      const key = bindingKey(sender);
      if (t.binding === key) continue;
      t.binding = key;
      t.leaf = sender?.leafIndex;
      t.wrongSender = false;
      this.crypto.bindReceiver(id, sender);
      if (sender) rebound.add(id);
    }
    // Frames before the binding were dropped, the key frame with them.
    if (rebound.size) this.#requestKeyFrames(rebound);
  }

  #onWrongSender(consumerId: string): void {
    const t = this.tracks.get(consumerId);
    if (!t || t.wrongSender) return;
    t.wrongSender = true;
    if (!this.mislabelledMedia) {
      this.mislabelledMedia = true;
      this.#listener?.notice(MISLABELLED_MEDIA);
    }
    this.#changed();
  }

  static async open(link: MeetingLink, name: string, stream: MediaStream): Promise<Meeting> {
    const secrets = await deriveMeetingSecrets(link.meetingId, link.password);
    return new Meeting(link, name, stream, secrets);
  }

  get isHost(): boolean {
    return this.role === 'host';
  }

  listen(listener: MeetingListener): void {
    this.#listener = listener;
  }

  #changed(): void {
    this.#listener?.changed();
  }

  /** SRP → join token → DS (MLS) and SFU (media) in parallel. */
  /** With a ticket from the pre-join screen the SRP handshake is already done. */
  async join(ticket?: JoinTicket): Promise<void> {
    const granted = ticket
      ? (await freshTicket(this.link, ticket)).granted
      : await requestJoin(this.link.meetingId, this.secrets.srpSecret, this.link.hostSecret);
    mark('srp-done');
    this.role = granted.role;
    this.#sfuUrl = granted.sfuUrl;
    this.#keepRejoin(granted);
    this.keyRotationSeconds = granted.keyRotationSeconds ?? 0;
    this.mls.rotationMs = this.keyRotationSeconds * 1000;
    await Promise.all([this.mls.connectTo(granted.dsUrl, granted.token), this.#startMedia(granted.token)]);
    if (this.isHost && !this.ended) void this.#watchLobby();
  }

  #keepRejoin(granted: JoinGranted): void {
    this.#rejoin = granted.rejoin;
    if (this.#rejoinTimer || !granted.rejoin) return;
    this.#rejoinTimer = setInterval(() => {
      const current = this.#rejoin;
      if (!current || this.#reconnecting) return;
      void renewRejoin(this.link.meetingId, current).then(
        (next) => {
          if (this.#rejoin === current) this.#rejoin = next.rejoin;
        },
        () => {},
      );
    }, REJOIN_RENEW_MS);
  }

  /** Hosts: long-polls the lobby and opens the sealed names of people knocking. */
  async #watchLobby(): Promise<void> {
    const hostSecret = this.#hostSecret();
    for (let failures = 0; !this.ended; ) {
      try {
        const { knocks } = await lobbyWait(
          this.link.meetingId,
          hostSecret,
          this.lobby.map((k) => k.knockId),
          this.#lobbyAbort.signal,
        );
        failures = 0;
        const next: LobbyEntry[] = [];
        for (const k of knocks) {
          let name = this.#lobbyNames.get(k.knockId);
          if (name === undefined) {
            name = await openDisplayName(this.secrets.nameKey, this.link.meetingId, k.sealedName).catch(
              () => 'Someone (name unreadable)',
            );
            this.#lobbyNames.set(k.knockId, name);
            this.#listener?.notice(`${name} is asking to join`);
          }
          next.push({ knockId: k.knockId, name });
        }
        for (const id of this.#lobbyNames.keys())
          if (!knocks.some((k) => k.knockId === id)) this.#lobbyNames.delete(id);
        this.lobby = next;
        this.#changed();
      } catch (error) {
        if (this.ended || (error instanceof ApiError && error.code === 'meeting_not_found')) return;
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** failures++)));
      }
    }
  }

  /** Hosts: lets a knocker in (or not). The knock leaves the list either way. */
  async answerKnock(knockId: string, admit: boolean): Promise<void> {
    const entry = this.lobby.find((k) => k.knockId === knockId);
    this.lobby = this.lobby.filter((k) => k.knockId !== knockId);
    this.#changed();
    try {
      await answerKnock(this.link.meetingId, this.#hostSecret(), knockId, admit);
    } catch (error) {
      if (
        !(error instanceof ApiError && (error.code === 'knock_not_found' || error.code === 'knock_answered'))
      )
        throw error;
    }
    if (entry) this.#listener?.notice(admit ? `Letting ${entry.name} in` : `${entry.name} was not let in`);
  }

  async #startMedia(token: string): Promise<void> {
    await this.sfu.connect(this.#sfuUrl, token);
    mark('sfu-ready');
    const audio = this.stream.getAudioTracks()[0];
    const video = this.stream.getVideoTracks()[0];
    await Promise.all([
      audio
        ? this.sfu
            .produce(audio, 'mic')
            .then(() => (this.micOn ? undefined : this.sfu.setPaused('mic', true)))
        : null,
      video && this.camOn ? this.sfu.produce(video, 'camera') : null,
    ]);
    if (this.screen) {
      const t = this.screen.getVideoTracks()[0];
      if (t) await this.sfu.produce(t, 'screen');
    }
    this.#announceSelf();
  }

  /** The SFU connection dropped: a fresh SRP join gives a new token, then produce again. */
  async #reconnectMedia(): Promise<void> {
    if (this.#reconnecting || this.ended) return;
    this.#reconnecting = true;
    this.connection = 'reconnecting';
    this.#changed();
    this.sfu.close();
    for (const id of this.tracks.keys()) this.crypto.releaseReceiver(id);
    this.tracks.clear();
    for (let attempt = 0; !this.ended; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(5000, 300 * 2 ** attempt)));
      try {
        const granted = await requestJoin(
          this.link.meetingId,
          this.secrets.srpSecret,
          this.link.hostSecret,
          this.#rejoin,
        );
        this.#keepRejoin(granted);
        this.#sfuUrl = granted.sfuUrl;
        await this.#startMedia(granted.token);
        break;
      } catch (error) {
        if (error instanceof SfuRequestError && error.code === 'close_4003') return this.#end('removed');
        if ((error as { code?: string }).code === 'meeting_not_found') return this.#end('ended');
        // Locked, and this session's rejoin secret is gone (expired or revoked): no way back in.
        if ((error as { code?: string }).code === 'meeting_locked') return this.#end('lost');
      }
    }
    this.#reconnecting = false;
    this.connection = 'connected';
    this.#changed();
  }

  #onEpoch(view: EpochView): void {
    const first = this.epoch === undefined;
    if (first) mark('mls-joined');
    this.epoch = view;
    // After a Remove the departed member must not read new media: switch at once. After an Add,
    // keep sending under the old key a moment so members still processing the commit keep up;
    // after a scheduled rotation (no Adds, no Removes) longer, as nobody waits for the new key.
    const rotation = view.added.length === 0 && view.removed.length === 0;
    const sendAfterMs =
      first || view.removed.length > 0 ? 0 : rotation ? SEND_AFTER_ROTATION_MS : SEND_AFTER_ADD_MS;
    this.crypto.installEpoch({
      epoch: view.epoch,
      baseKey: view.baseKey,
      groupSize: view.treeLeaves,
      selfLeafIndex: view.ownLeaf,
      sendAfterMs,
    });
    // Frames sent under a key we did not have yet were dropped, key frames included: ask for
    // fresh ones once senders have switched, or the picture would stay frozen until the next.
    const delays = first ? [0, SEND_AFTER_ADD_MS + 100, SEND_AFTER_ADD_MS + 500, 1500] : [sendAfterMs + 150];
    for (const d of delays) setTimeout(() => this.#requestKeyFrames(), d);
    // An entry is the word of the member on that leaf now: a leaf this commit emptied or filled
    // (a Remove and an Add can reuse one leaf) loses its former member's entry, peer ID included.
    const changed = new Set([...view.added, ...view.removed]);
    for (const leaf of [...this.roster.keys()])
      if (!view.members.includes(leaf) || changed.has(leaf)) this.roster.delete(leaf);
    this.#bindTracks();
    if (first || view.added.length > 0) this.#announceSelf();
    this.#changed();
  }

  #requestKeyFrames(onlyStalled?: Set<string>): void {
    if (this.ended) return;
    for (const [id, t] of this.tracks) {
      if (t.consumer.kind !== 'video' || t.paused || (onlyStalled && !onlyStalled.has(id))) continue;
      void this.sfu.request('requestKeyFrame', { consumerId: id }).catch(() => {});
    }
  }

  readonly #decoded = new Map<string, { frames: number; packets: number }>();

  /** A video consumer receiving packets but decoding nothing lost its key frame: ask again. */
  async watchVideo(): Promise<void> {
    const stalled = new Set<string>();
    for (const [id, t] of this.tracks) {
      if (t.consumer.kind !== 'video' || t.paused) continue;
      const stats = await t.consumer.getStats().catch(() => undefined);
      stats?.forEach((s: Record<string, unknown>) => {
        if (s['type'] !== 'inbound-rtp') return;
        const now = { frames: Number(s['framesDecoded'] ?? 0), packets: Number(s['packetsReceived'] ?? 0) };
        const before = this.#decoded.get(id);
        if (before && now.packets > before.packets + 10 && now.frames === before.frames) stalled.add(id);
        this.#decoded.set(id, now);
      });
    }
    if (stalled.size) this.#requestKeyFrames(stalled);
  }

  #selfEntry(): RosterEntry {
    return {
      leaf: this.epoch?.ownLeaf ?? -1,
      name: this.name,
      peerId: this.sfu.peerId,
      member: this.mls.member,
      hand: this.hand,
      host: this.isHost,
    };
  }

  /** Tells the group who this leaf is: name, SFU peer, DS member, hand. Sent in every epoch with joiners. */
  #announceSelf(): void {
    if (!this.epoch || !this.sfu.peerId) return;
    const { name, peerId, member, hand, host } = this.#selfEntry();
    this.roster.set(this.epoch.ownLeaf, this.#selfEntry());
    void this.mls
      .send('roster', enc.encode(JSON.stringify({ name, peerId, member, hand, host })))
      .catch(() => {});
    this.#changed();
  }

  #onApplication(sender: number, message: AppMessage): void {
    const who = () => this.roster.get(sender)?.name ?? `Participant ${sender}`;
    switch (message.kind) {
      case 'roster': {
        try {
          const r = JSON.parse(dec.decode(message.body)) as Partial<RosterEntry>;
          const peerId = String(r.peerId ?? '');
          // The entry is the sending leaf's own word, authenticated by MLS. Two leaves naming
          // one SFU peer show nothing for it (media-binding.ts). The host flag is the member's
          // own claim, shown as such.
          this.roster.set(sender, {
            leaf: sender,
            name: String(r.name ?? '').slice(0, 64) || `Participant ${sender}`,
            peerId,
            member: String(r.member ?? ''),
            hand: r.hand === true,
            host: r.host === true,
          });
          this.#bindTracks();
        } catch {}
        break;
      }
      case 'chat': {
        const line = {
          from: who(),
          text: dec.decode(message.body).slice(0, 4000),
          at: Date.now(),
          self: false,
        };
        this.chat.push(line);
        this.#listener?.chat(line);
        break;
      }
      case 'reaction':
        this.#listener?.reaction(who(), dec.decode(message.body).slice(0, 8));
        break;
      case 'hand': {
        const entry = this.roster.get(sender);
        if (entry) entry.hand = dec.decode(message.body) === '1';
        if (entry?.hand) this.#listener?.notice(`${entry.name} raised their hand`);
        break;
      }
      case 'host': {
        const notice = dec.decode(message.body);
        if (notice === 'locked' || notice === 'unlocked') this.locked = notice === 'locked';
        break;
      }
    }
    this.#changed();
  }

  #onHostAction(action: 'mute' | 'stopVideo' | 'allow', sources: string[]): void {
    if (action === 'mute') {
      this.micOn = false;
      this.mutedByHost = true;
      for (const t of this.stream.getAudioTracks()) t.enabled = false;
      this.sfu.producers.get('mic')?.pause();
      this.#listener?.notice('The host muted your microphone');
    } else if (action === 'stopVideo') {
      this.camOn = false;
      for (const t of this.stream.getVideoTracks()) t.enabled = false;
      void this.sfu.closeProducer('camera');
      void this.stopScreenShare();
      this.#listener?.notice('The host turned off your camera');
    } else if (action === 'allow' && sources.includes('mic')) {
      this.mutedByHost = false;
      this.#listener?.notice('The host allows you to unmute');
    }
    this.#changed();
  }

  #end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = reason;
    clearInterval(this.#rejoinTimer);
    this.#lobbyAbort.abort();
    this.sfu.close();
    this.mls.leave();
    this.crypto.close();
    for (const t of this.stream.getTracks()) t.stop();
    for (const t of this.screen?.getTracks() ?? []) t.stop();
    this.#listener?.ended(reason);
  }

  leave(): void {
    this.#end('left');
  }

  // ---- own media ---------------------------------------------------------------------------

  async setMic(on: boolean): Promise<void> {
    if (on && this.mutedByHost) {
      this.#listener?.notice('The host muted you; ask them to let you unmute');
      return;
    }
    this.micOn = on;
    for (const t of this.stream.getAudioTracks()) t.enabled = on;
    await this.sfu.setPaused('mic', !on).catch((e: unknown) => {
      if (e instanceof SfuRequestError && e.code === 'muted_by_host') {
        this.micOn = false;
        this.mutedByHost = true;
      }
    });
    this.#changed();
  }

  async setCamera(on: boolean): Promise<void> {
    this.camOn = on;
    const video = this.stream.getVideoTracks()[0];
    if (video) video.enabled = on;
    try {
      if (on && video) await this.sfu.produce(video, 'camera');
      else await this.sfu.closeProducer('camera');
    } catch (e) {
      this.camOn = false;
      if (e instanceof SfuRequestError && e.code === 'muted_by_host')
        this.#listener?.notice('The host turned off your camera');
    }
    this.#changed();
  }

  async startScreenShare(): Promise<void> {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = stream.getVideoTracks()[0]!;
    this.screen = stream;
    track.addEventListener('ended', () => void this.stopScreenShare());
    await this.sfu.produce(track, 'screen');
    this.#changed();
  }

  async stopScreenShare(): Promise<void> {
    if (!this.screen) return;
    for (const t of this.screen.getTracks()) t.stop();
    this.screen = undefined;
    await this.sfu.closeProducer('screen');
    this.#changed();
  }

  // ---- messages ----------------------------------------------------------------------------

  async sendChat(text: string): Promise<void> {
    await this.mls.send('chat', enc.encode(text));
    const line = { from: this.name, text, at: Date.now(), self: true };
    this.chat.push(line);
    this.#listener?.chat(line);
  }

  async sendReaction(emoji: string): Promise<void> {
    await this.mls.send('reaction', enc.encode(emoji));
    this.#listener?.reaction(this.name, emoji);
  }

  async setHand(up: boolean): Promise<void> {
    this.hand = up;
    const self = this.epoch && this.roster.get(this.epoch.ownLeaf);
    if (self) self.hand = up;
    await this.mls.send('hand', enc.encode(up ? '1' : '0'));
    this.#changed();
  }

  // ---- host --------------------------------------------------------------------------------

  #hostSecret(): string {
    if (!this.link.hostSecret) throw new Error('host only');
    return this.link.hostSecret;
  }

  async hostMute(leaf: number): Promise<void> {
    const peerId = this.roster.get(leaf)?.peerId;
    if (peerId) await this.sfu.request('hostMute', { peerId });
  }

  async hostAllowMic(leaf: number): Promise<void> {
    const peerId = this.roster.get(leaf)?.peerId;
    if (peerId) await this.sfu.request('hostAllow', { peerId, sources: ['mic'] });
  }

  async hostStopVideo(leaf: number): Promise<void> {
    const peerId = this.roster.get(leaf)?.peerId;
    if (peerId) await this.sfu.request('hostStopVideo', { peerId });
  }

  /**
   * The SFU closes their media and tells the DS, whose members then commit the Remove. The DS
   * is told the member ID it gave that leaf itself; the roster entry's claim is only a fallback.
   */
  async hostRemove(leaf: number): Promise<void> {
    const entry = this.roster.get(leaf);
    const member = this.mls.memberAt(leaf) ?? entry?.member;
    if (entry?.peerId) await this.sfu.request('hostRemove', { peerId: entry.peerId }).catch(() => {});
    if (member && member !== this.mls.member) this.mls.kick(member);
  }

  async setLocked(locked: boolean): Promise<void> {
    await setLocked(this.link.meetingId, this.#hostSecret(), locked);
    this.locked = locked;
    await this.mls.send('host', enc.encode(locked ? 'locked' : 'unlocked')).catch(() => {});
    this.#changed();
  }

  async endForAll(): Promise<void> {
    await endMeeting(this.link.meetingId, this.#hostSecret()).catch(() =>
      this.sfu.request('hostEndMeeting', {}),
    );
    this.#end('ended');
  }

  /** Permanent rooms only: the current link dies (and this call with it); returns the new one. */
  rotate(): Promise<{ meetingId: string; password: string; hostSecret: string }> {
    return rotateMeeting(this.link.meetingId, this.#hostSecret());
  }

  // ---- diagnostics (what the info panel and tests read) --------------------------------------

  async diagnostics(): Promise<Record<string, unknown>> {
    const remote = [];
    for (const t of this.tracks.values()) {
      const stats = await t.consumer.getStats().catch(() => undefined);
      let inbound: Record<string, unknown> = {};
      stats?.forEach((s: Record<string, unknown>) => {
        if (s['type'] === 'inbound-rtp') inbound = s;
      });
      remote.push({
        peerId: t.peerId,
        source: t.source,
        leaf: t.leaf ?? null,
        wrongSender: t.wrongSender,
        kind: t.consumer.kind,
        paused: t.paused,
        framesDecoded: inbound['framesDecoded'] ?? 0,
        packetsReceived: inbound['packetsReceived'] ?? 0,
        totalAudioEnergy: inbound['totalAudioEnergy'] ?? 0,
        audioLevel: inbound['audioLevel'] ?? 0,
      });
    }
    return {
      role: this.role,
      epoch: this.epoch ? Number(this.epoch.epoch) : -1,
      size: this.epoch?.size ?? 0,
      securityCode: this.epoch?.securityCode ?? '',
      roster: [...this.roster.values()].map((r) => ({ leaf: r.leaf, name: r.name, peerId: r.peerId })),
      peerId: this.sfu.peerId,
      cryptoMode: this.crypto.mode,
      crypto: await this.crypto.stats(),
      remote,
      ended: this.ended ?? null,
      // The DS's own leaf → member mapping (what a kick names), for the tests.
      member: this.mls.member,
      dsMembers: (this.epoch?.members ?? []).map((leaf) => ({ leaf, member: this.mls.memberAt(leaf) ?? '' })),
    };
  }
}
