import type {
  MediaSource,
  ProducerInfo,
  SfuCloseCode,
  SfuNotificationData,
  SfuNotificationMethod,
} from '@conclave/protocol';
import type { types } from 'mediasoup';
import type { WorkerSlot } from '../media/worker-pool.ts';
import type { PeerConnection } from './connection.ts';

/*
 * How a room and its peers meet. `Room` and `Peer` each know the other only through these
 * interfaces, so neither module imports the other.
 */

/** What a room needs of a peer in it. */
export interface RoomMember {
  /** Random per connection; other peers see this, never the session ID. */
  readonly id: string;
  readonly closed: boolean;
  readonly connection: PeerConnection;
  info(entry: ProducerEntry): ProducerInfo;
  /** A producer of the room closed: close this peer's consumers of it. */
  producerGone(entry: ProducerEntry): void;
  /** The room starts or stops forwarding a microphone to everyone (audible-speakers.ts). */
  audibilityChanged(entry: ProducerEntry, audible: boolean): void;
  /** The worker serving this peer died. */
  mediaLost(): void;
  close(hangUp?: { code: SfuCloseCode; reason: string }): void;
}

/** A producer in a room, with who owns it and what it carries. */
export interface ProducerEntry {
  readonly producer: types.Producer;
  readonly peer: RoomMember;
  readonly source: MediaSource;
  /** Paused by the host: its owner cannot resume it. */
  lockedByHost: boolean;
}

/** One mediasoup Router of a room, on one worker, and the peers assigned to it. */
export interface RoomRouter {
  readonly router: types.Router;
  readonly slot: WorkerSlot;
  readonly peers: Set<RoomMember>;
}

/** What a peer needs of its room; `P` is the room's peer type, as `peer()` returns it. */
export interface MemberRoom<P extends RoomMember = RoomMember> {
  readonly id: string;
  readonly options: { readonly initialOutgoingBitrate: number };
  peer(peerId: string): P | undefined;
  /** The router serving `member`, assigning one on first use (or after its worker died). */
  routerOf(member: RoomMember): Promise<RoomRouter>;
  rtpCapabilities(member: RoomMember): Promise<types.RtpCapabilities>;
  producer(producerId: string): ProducerEntry | undefined;
  producerInfos(): ProducerInfo[];
  /** Whether the room forwards `entry`'s media now (a microphone may not be: audible-speakers.ts). */
  isAudible(entry: ProducerEntry): boolean;
  /** The last dominant speaker while their producer lasts (told to a newcomer). */
  readonly activeSpeaker: SfuNotificationData<'activeSpeaker'> | undefined;
  /** Makes `entry`'s producer consumable on `target` (same producer ID there). */
  pipeProducerTo(entry: ProducerEntry, target: RoomRouter): Promise<void>;
  producerAdded(entry: ProducerEntry): void;
  producerRemoved(entry: ProducerEntry): void;
  /** Sends a notification to every peer but `except`. */
  broadcast<M extends SfuNotificationMethod>(
    method: M,
    data: SfuNotificationData<M>,
    except?: RoomMember,
  ): void;
  peerClosed(member: RoomMember): void;
}
