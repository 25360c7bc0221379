/** What the meeting's units share with each other and with the views. */
import type { Consumer } from 'mediasoup-client/types';

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
  /** Simulcast (or SVC) video: the SFU can forward a smaller layer of it. */
  layered: boolean;
  paused: boolean;
  /** A microphone the SFU does not forward now: others are louder (the room has many open). */
  inaudible: boolean;
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

/** `outdated`: the delivery service speaks another protocol version than this page (reloading it fixes that). */
export type EndReason = 'left' | 'removed' | 'ended' | 'lost' | 'refused' | 'outdated';

export interface MeetingListener {
  changed(): void;
  chat(line: ChatLine): void;
  reaction(name: string, emoji: string): void;
  notice(text: string): void;
  /** Someone joined or left: told to screen readers, not shown (a big meeting would flood the screen). */
  presence(text: string): void;
  ended(reason: EndReason): void;
}

/** The part of the listener a unit needs to tell the page its state moved. */
export type StateEvents = Pick<MeetingListener, 'changed' | 'notice'>;
