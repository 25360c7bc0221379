import type { HelloMessage, ResumeMessage } from '@conclave/protocol';
import type { DsSettings } from '../config.ts';
import type { DsMetrics } from '../metrics.ts';
import type { GroupKey, GroupStateStore } from '../state/group-state-store.ts';

/** The limits a connection enforces on its own socket. */
export type ConnectionLimits = Pick<
  DsSettings,
  | 'DS_RATE_MESSAGES_PER_SECOND'
  | 'DS_RATE_MESSAGE_BURST'
  | 'DS_RATE_BYTES_PER_SECOND'
  | 'DS_MAX_MESSAGE_BYTES'
  | 'DS_AUTH_TIMEOUT_MS'
  | 'DS_SLOW_CONSUMER_BYTES'
>;

/**
 * What a connection needs of the room of its group. `C` is the connection's own type (the
 * MemberConnection), a parameter so that this module needs nothing of it.
 */
export interface ConnectionRoom<C = unknown> {
  readonly key: GroupKey;
  /** Feeds the connection from before its store call, so that call's snapshot and the feed meet. */
  hold(connection: C): void;
  /** The store accepted the connection's session. */
  attach(connection: C): void;
  /** The connection closed; `dropped` when its session did not end with it. */
  detach(connection: C, dropped: boolean): void;
  /** The group was deleted. */
  purged(): Promise<void>;
}

/** The session a hello or resume names, bound to the connection before the store is asked. */
export interface SessionBinding<C = unknown> {
  room: ConnectionRoom<C>;
  member: string;
  /** Known from the join token on a hello; a resume learns them from the store (`admit`). */
  sid?: string;
  role?: 'participant' | 'host';
  /** Opaque SFU room ID of the token, for `session.removed` on a kick. */
  sfuRoom?: string;
  grp?: string;
}

/** The session as the store accepted it. */
export interface AdmittedSession {
  sid: string;
  role: 'participant' | 'host';
  /** Whether the session is already a member of the group (not a joiner waiting for a Welcome). */
  joined: boolean;
}

/** The instance a connection belongs to: everything a connection asks of the DS. */
export interface ConnectionHost<C = unknown> {
  readonly limits: ConnectionLimits;
  readonly metrics: DsMetrics;
  readonly store: GroupStateStore;
  /** Checks the first frame and binds the connection to its session. */
  authenticate(connection: C, message: HelloMessage | ResumeMessage): Promise<void>;
  /** The session became (or still is) a member of its group. */
  confirmMember(connection: C): void;
  /** A host removed a session: tell the other services. */
  sessionRemoved(removed: { room: string; grp: string; sid: string }): Promise<void>;
  /** The connection closed; `dropped` when its session did not end with it. */
  detach(connection: C, dropped: boolean): void;
  onError(error: unknown): void;
}
