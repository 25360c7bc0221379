/**
 * The meeting's connections: the join (DS and SFU in parallel), what each server's close
 * means, and getting back after a connection is lost. The DS resumes on its own
 * (mls-session.ts); when it cannot (4404: the session expired, or the DS lost the group), the
 * MLS session joins the group again with a fresh join token, the SFU connection and its media
 * untouched. The SFU needs a fresh join token after any drop. Tokens come through the tickets.
 */
import { DsCloseCode, SfuCloseCode } from '@conclave/protocol';
import { type JoinTicket, type JoinTickets, NO_RATE_LIMIT_WAIT } from '../join-ticket.ts';
import { DsClosedError, type MlsSession, outdatedClose } from '../mls-session.ts';
import { SfuRequestError, type SfuSession } from '../sfu-session.ts';
import type { EndReason, StateEvents } from './types.ts';

/** Join phases on the performance timeline (read by the time-to-media benchmark). */
export const markJoinPhase = (phase: string) => performance.mark(`conclave:${phase}`);

/** The DS closed the session: the end (why, as the page tells it), or join the group again. */
export function afterDsClose(code: number, reason: string): EndReason | 'rejoin' {
  if (outdatedClose(code, reason)) return 'outdated';
  if (code === DsCloseCode.removed || code === DsCloseCode.sessionRefused) return 'removed';
  if (code === DsCloseCode.meetingEnded) return 'ended';
  if (code === DsCloseCode.resumeUnavailable) return 'rejoin';
  return 'lost';
}

/** The SFU closed the connection: the end, nothing to do (a newer connection took over), or reconnect. */
export function afterSfuClose(code: number): EndReason | 'replaced' | 'reconnect' {
  if (code === SfuCloseCode.removed) return 'removed';
  if (code === SfuCloseCode.roomEnded) return 'ended';
  if (code === SfuCloseCode.replaced) return 'replaced';
  return 'reconnect';
}

/**
 * How long after the group session is back (or after a lock) the API may still refuse this
 * session's rejoin secret: a lock voids every secret until the DS vouches for the members it
 * holds, and it vouches for a dropped session only once that session has resumed.
 */
export const REJOIN_VOUCH_GRACE_MS = 5000;

/**
 * A failed attempt to get back in (media or group): the end, or undefined to try again.
 * `vouched`: the DS has held this session long enough to have vouched for its rejoin secret, so
 * a lock's refusal is final; before that it may only mean the vouching is still under way.
 */
export function endReasonForRejoinFailure(error: unknown, vouched = true): EndReason | undefined {
  if (error instanceof SfuRequestError && error.code === `close_${SfuCloseCode.removed}`) return 'removed';
  if (error instanceof DsClosedError) {
    const next = afterDsClose(error.code, error.reason);
    return next === 'rejoin' || next === 'lost' ? undefined : next;
  }
  if (codeOf(error) === 'meeting_not_found') return 'ended';
  // Locked, and this session's rejoin secret is gone (expired or revoked): no way back in.
  if (lockedRefusal(error)) return vouched ? 'lost' : undefined;
  return undefined;
}

/** The typed code an API, SFU or DS failure carries, if any. */
const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

const lockedRefusal = (error: unknown) => codeOf(error) === 'meeting_locked';

export interface ConnectionDeps {
  tickets: JoinTickets;
  mls: Pick<MlsSession, 'connectTo' | 'rejoin' | 'rotationMs'>;
  sfu: Pick<SfuSession, 'connect' | 'close'>;
  /** Sends this person's media on a new SFU connection and tells the group who they are. */
  publish(): Promise<void>;
  /** The SFU connection is gone: forget its consumers. */
  dropRemoteMedia(): void;
  /** The MLS membership is gone (a new one follows): forget its epoch and roster. */
  groupLost(): void;
  end(reason: EndReason): void;
  ended(): boolean;
  events: StateEvents;
}

export class MeetingConnection {
  state: 'connected' | 'reconnecting' = 'connected';
  role: 'participant' | 'host' = 'participant';
  /** Scheduled key rotation interval from the join answer, in seconds (0: off). */
  keyRotationSeconds = 0;
  readonly #deps: ConnectionDeps;
  #sfuUrl = '';
  #reconnecting = false;
  /** Joining the group again (DS closes meanwhile are that loop's to handle). */
  #rejoiningGroup = false;
  /** When the DS connection last came (back) up; undefined while it is down. */
  #dsUpSince: number | undefined = performance.now();

  constructor(deps: ConnectionDeps) {
    this.#deps = deps;
  }

  /** The ticket's token (renewed if old) opens the DS (MLS) and the SFU (media) in parallel. */
  async join(ticket: JoinTicket): Promise<void> {
    const { tickets, mls } = this.#deps;
    const { granted } = await tickets.fresh(ticket);
    markJoinPhase('srp-done');
    this.role = granted.role;
    this.#sfuUrl = granted.sfuUrl;
    tickets.keepRejoinAlive(() => this.#reconnecting || this.#rejoiningGroup);
    this.keyRotationSeconds = granted.keyRotationSeconds ?? 0;
    mls.rotationMs = this.keyRotationSeconds * 1000;
    await Promise.all([mls.connectTo(granted.dsUrl, granted.token), this.#startMedia(granted.token)]);
  }

  /** The DS connection's own state (it resumes by itself). */
  dsState(state: 'connected' | 'reconnecting'): void {
    if (state === 'reconnecting') this.#dsUpSince = undefined;
    else this.#dsUpSince ??= performance.now();
    this.state = state;
    this.#deps.events.changed();
  }

  /** The MLS session is over: the end, or a new membership of the group. */
  dsClosed(code: number, reason: string): void {
    if (this.#rejoiningGroup) return;
    const next = afterDsClose(code, reason);
    console.warn(`mls: session closed (${code} ${reason}): ${next}`);
    if (next === 'rejoin') void this.#rejoinGroup();
    else this.#deps.end(next);
  }

  sfuClosed(code: number): void {
    const next = afterSfuClose(code);
    console.warn(`sfu: connection closed (${code}): ${next}`);
    if (next === 'reconnect') void this.#reconnectMedia();
    else if (next !== 'replaced') this.#deps.end(next);
  }

  async #startMedia(token: string): Promise<void> {
    await this.#deps.sfu.connect(this.#sfuUrl, token);
    markJoinPhase('sfu-ready');
    await this.#deps.publish();
  }

  /**
   * The DS cannot resume this session: a fresh SRP join gives a new token, and the MLS session
   * joins the group as a new member (or, the group being gone, creates it anew: the first one
   * back does, and the security code changes). Media keeps flowing meanwhile; frames under the
   * new keys decrypt once both ends are in the new membership.
   */
  async #rejoinGroup(): Promise<void> {
    const { tickets, mls, events } = this.#deps;
    if (this.#deps.ended()) return;
    this.#rejoiningGroup = true;
    this.state = 'reconnecting';
    this.#deps.groupLost();
    events.changed();
    for (let attempt = 0; !this.#deps.ended(); attempt++) {
      // Everyone comes back at once after the DS lost a group: spread the joins a little.
      await new Promise((r) => setTimeout(r, Math.min(5000, 300 * 2 ** attempt) * (0.5 + Math.random())));
      if (this.#deps.ended()) break;
      try {
        const { granted } = await tickets.obtain(NO_RATE_LIMIT_WAIT);
        this.role = granted.role;
        await mls.rejoin(granted.dsUrl, granted.token);
        this.#dsUpSince = performance.now();
        break;
      } catch (error) {
        const reason = endReasonForRejoinFailure(error);
        if (reason) {
          this.#rejoiningGroup = false;
          return this.#deps.end(reason);
        }
      }
    }
    this.#rejoiningGroup = false;
    this.state = this.#reconnecting ? 'reconnecting' : 'connected';
    events.changed();
  }

  /**
   * The DS has had time to vouch for this session's rejoin secret: its session has been up for
   * the grace period, and so have the lock's refusals (a lock set just now voids the secret until
   * the DS vouches again).
   */
  #vouched(refusedSince: number): boolean {
    const now = performance.now();
    return (
      !this.#rejoiningGroup &&
      this.#dsUpSince !== undefined &&
      now - Math.max(this.#dsUpSince, refusedSince) >= REJOIN_VOUCH_GRACE_MS
    );
  }

  /** The SFU connection dropped: a fresh SRP join gives a new token, then produce again. */
  async #reconnectMedia(): Promise<void> {
    const { tickets, sfu, events } = this.#deps;
    if (this.#reconnecting || this.#deps.ended()) return;
    this.#reconnecting = true;
    this.state = 'reconnecting';
    events.changed();
    sfu.close();
    this.#deps.dropRemoteMedia();
    let refusedSince: number | undefined;
    for (let attempt = 0; !this.#deps.ended(); attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(5000, 300 * 2 ** attempt)));
      try {
        // This loop backs off on its own, a 429 included.
        const { granted } = await tickets.obtain(NO_RATE_LIMIT_WAIT);
        this.#sfuUrl = granted.sfuUrl;
        await this.#startMedia(granted.token);
        break;
      } catch (error) {
        if (lockedRefusal(error)) refusedSince ??= performance.now();
        const reason = endReasonForRejoinFailure(
          error,
          refusedSince === undefined || this.#vouched(refusedSince),
        );
        if (reason) return this.#deps.end(reason);
        console.warn('sfu: reconnection attempt failed', codeOf(error) ?? error);
        // The attempt may have got part of the way (consumers and producers of a connection now
        // dead): the next one starts from nothing, or it would skip what those seem to cover.
        sfu.close();
        this.#deps.dropRemoteMedia();
      }
    }
    this.#reconnecting = false;
    this.state = this.#rejoiningGroup ? 'reconnecting' : 'connected';
    events.changed();
  }
}
