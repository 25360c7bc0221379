/**
 * Events that cross service boundaries. They name rooms and groups by their opaque IDs only,
 * never by meeting ID, so a service that hears them cannot link them to a meeting.
 */
export type BusEvent =
  /** The host ended the meeting (or it expired): close the SFU room and the MLS group. */
  | { type: 'room.ended'; room: string; grp: string }
  /** A session was removed by the host: refuse its token from now on and drop its connections. */
  | { type: 'session.removed'; room: string; grp: string; sid: string }
  /** The lobby of the meeting with this group changed (a knock arrived or was answered): wake waiters. */
  | { type: 'lobby.changed'; grp: string }
  /**
   * The delivery service holds this session as a member of its MLS group (it was welcomed,
   * created the group, resumed, or answers a `rejoin.reset`): its rejoin secret may pass a lock.
   */
  | { type: 'session.joined'; sid: string }
  /** Every rejoin secret of the group's meeting was invalidated: confirm the live members again. */
  | { type: 'rejoin.reset'; grp: string };

export type BusHandler = (event: BusEvent) => void;
export type Unsubscribe = () => void;

/** Fire-and-forget fan-out to every instance of every service. */
export interface EventBus {
  publish(event: BusEvent): Promise<void>;
  subscribe(handler: BusHandler): Unsubscribe;
  close(): Promise<void>;
}
