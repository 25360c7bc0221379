import {
  JOIN_TOKEN_CLOCK_SKEW_SECONDS,
  JOIN_TOKEN_TTL_SECONDS,
  type JoinTokenClaims,
  SfuCloseCode,
} from '@conclave/protocol';
import type { Logger } from '@conclave/runtime';
import type { WorkerPool } from '../media/worker-pool.ts';
import type { PeerConnection } from './connection.ts';
import { SfuFailure } from './failure.ts';
import { Peer } from './peer.ts';
import { Room, type RoomOptions } from './room.ts';

/**
 * How long a refusal must be remembered: no token issued before it can still be valid after
 * this. Longer would only keep room/session pairs, which link people to a call, in memory.
 */
const TOKEN_LIFE_MS = (JOIN_TOKEN_TTL_SECONDS + JOIN_TOKEN_CLOCK_SKEW_SECONDS) * 1000;

export interface RoomDirectoryOptions extends RoomOptions {
  pool: WorkerPool;
  log: Logger;
  now?: () => number;
}

/**
 * The rooms on this node, keyed by the opaque room ID of join tokens, and what must outlive
 * a room: removed sessions and ended rooms, remembered until their tokens expire.
 */
export class RoomDirectory {
  readonly #options: RoomDirectoryOptions;
  readonly #rooms = new Map<string, Room<Peer>>();
  /** `${room}/${sid}` → token expiry (ms): these sessions are refused. */
  readonly #removed = new Map<string, number>();
  /** room → end time (s): tokens issued before it are refused, while such a token can live. */
  readonly #ended = new Map<string, number>();
  readonly #drained = new Set<() => void>();
  #draining = false;
  #closed = false;

  constructor(options: RoomDirectoryOptions) {
    this.#options = options;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get pool(): WorkerPool {
    return this.#options.pool;
  }

  rooms(): Room<Peer>[] {
    return [...this.#rooms.values()];
  }

  room(roomId: string): Room<Peer> | undefined {
    return this.#rooms.get(roomId);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** Checks whether the claims may join now; a typed failure says why not. */
  admit(claims: JoinTokenClaims): SfuFailure | undefined {
    this.#prune();
    if (this.#removed.has(`${claims.room}/${claims.sid}`)) {
      return new SfuFailure('session_removed', 'this session was removed by the host');
    }
    const endedAt = this.#ended.get(claims.room);
    if (endedAt !== undefined && claims.iat <= endedAt)
      return new SfuFailure('session_removed', 'the meeting ended');
    if (!this.#rooms.has(claims.room)) {
      if (this.#draining || this.#closed) return new SfuFailure('draining', 'this node accepts no new rooms');
      if (this.#options.pool.slots().length === 0)
        return new SfuFailure('capacity', 'no media worker available');
    }
    return undefined;
  }

  /** Adds a peer for verified claims; an older connection of the same session is replaced. */
  join(claims: JoinTokenClaims, conn: PeerConnection): Peer {
    const refusal = this.admit(claims);
    if (refusal) throw refusal;
    let room = this.#rooms.get(claims.room);
    if (!room) {
      room = new Room<Peer>(claims.room, this.#options.pool, this.#options, this.#options.log);
      const created = room;
      this.#rooms.set(claims.room, created);
      created.once('close', () => {
        if (this.#rooms.get(claims.room) === created) this.#rooms.delete(claims.room);
        if (this.#rooms.size === 0) for (const resolve of this.#drained) resolve();
      });
    }
    for (const other of room.peers()) {
      if (other.identity.sid === claims.sid) {
        other.close({ code: SfuCloseCode.replaced, reason: 'replaced by a new connection' });
      }
    }
    // The replaced peer may have been the last one, closing the room.
    if (room.closed) return this.join(claims, conn);
    const peer = new Peer(
      room,
      { sid: claims.sid, grp: claims.grp, role: claims.role, iat: claims.iat, exp: claims.exp },
      conn,
    );
    room.addPeer(peer);
    return peer;
  }

  /** Host removal (or `session.removed` from the bus): refuse the token and hang up. */
  removeSession(roomId: string, sid: string, tokenExpSeconds?: number): void {
    // Without the token's expiry (an event from the bus), assume one issued just now.
    const until =
      tokenExpSeconds !== undefined
        ? tokenExpSeconds * 1000 + JOIN_TOKEN_CLOCK_SKEW_SECONDS * 1000
        : this.#now() + TOKEN_LIFE_MS;
    this.#removed.set(`${roomId}/${sid}`, until);
    for (const peer of this.#rooms.get(roomId)?.peers() ?? []) {
      if (peer.identity.sid === sid)
        peer.close({ code: SfuCloseCode.removed, reason: 'removed by the host' });
    }
  }

  /** The meeting ended (`room.ended`): tell everyone, hang up, refuse the room's current tokens. */
  endRoom(roomId: string): void {
    this.#ended.set(roomId, Math.floor(this.#now() / 1000));
    const room = this.#rooms.get(roomId);
    if (!room) return;
    room.broadcast('roomEnded', {});
    for (const peer of room.peers())
      peer.close({ code: SfuCloseCode.roomEnded, reason: 'the meeting ended' });
    room.close();
  }

  #prune(): void {
    const now = this.#now();
    for (const [key, until] of this.#removed) if (until < now) this.#removed.delete(key);
    for (const [room, at] of this.#ended) if (at * 1000 + TOKEN_LIFE_MS < now) this.#ended.delete(room);
  }

  /**
   * Stops accepting new rooms and resolves once every room has ended, or after `timeoutMs`
   * when the remaining peers are told to reconnect elsewhere (close code 1001).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    if (this.#rooms.size > 0) {
      let resolveDrained!: () => void;
      const drained = new Promise<void>((resolve) => {
        resolveDrained = resolve;
      });
      this.#drained.add(resolveDrained);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([drained, timeout]);
      clearTimeout(timer);
      this.#drained.delete(resolveDrained);
    }
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#draining = true;
    for (const room of [...this.#rooms.values()]) {
      for (const peer of room.peers())
        peer.close({ code: SfuCloseCode.goingAway, reason: 'server shutting down' });
      room.close();
    }
  }
}
