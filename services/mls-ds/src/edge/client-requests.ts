import {
  type AppMessage,
  type CommitMessage,
  DsErrorCode,
  type KickMessage,
  type RejectMessage,
} from '@conclave/protocol';
import type { ConnectionHost, ConnectionRoom } from './connection-host.ts';

/** Who sends a request: the session a connection is bound to. */
export interface RequestingSession {
  readonly room: ConnectionRoom;
  readonly member: string;
  readonly role: 'participant' | 'host';
  readonly sfuRoom: string;
  readonly grp: string;
}

/** A refused request, answered with an `error` frame (and the current epoch when it was stale). */
export interface RequestError {
  code: string;
  epoch?: number;
}

/** One kind of client request, turned into store calls; resolves to the refusal, if any. */
type ClientRequest<M> = (
  host: ConnectionHost,
  s: RequestingSession,
  m: M,
) => Promise<RequestError | undefined>;

export const submitCommit: ClientRequest<CommitMessage> = async (host, s, m) => {
  const { type: _type, id: _id, ...submission } = m;
  const r = await host.store.submitCommit(s.room.key, s.member, submission, Date.now());
  host.metrics.commits.inc({ outcome: r.ok ? 'accepted' : r.code });
  if (r.ok) return undefined;
  return r.code === 'stale_epoch' ? { code: r.code, epoch: r.epoch } : { code: r.code };
};

export const rejectKeyPackages: ClientRequest<RejectMessage> = async (host, s, m) => {
  const r = await host.store.rejectKeyPackages(s.room.key, s.member, m.members, Date.now());
  return r.ok ? undefined : { code: r.code };
};

export const appendApplication: ClientRequest<AppMessage> = async (host, s, m) => {
  const r = await host.store.appendApplication(s.room.key, s.member, m.epoch, m.data, m.to);
  if (r.ok) return undefined;
  return r.code === 'wrong_epoch' ? { code: r.code, epoch: r.epoch } : { code: r.code };
};

/** Only a host may remove another session; the other services learn of it over the bus. */
export const kick: ClientRequest<KickMessage> = async (host, s, m) => {
  if (s.role !== 'host') return { code: DsErrorCode.forbidden };
  if (m.member === s.member) return { code: DsErrorCode.unknownMember };
  const r = await host.store.kick(s.room.key, m.member, Date.now());
  if (!r.ok) return { code: r.code };
  await host.sessionRemoved({ room: s.sfuRoom, grp: s.grp, sid: r.sid });
  return undefined;
};
