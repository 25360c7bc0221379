/**
 * The meeting's connections: the join (DS and SFU in parallel), what each server's close
 * means, and getting media back after the SFU connection dropped. The DS resumes on its own
 * (mls-session.ts); the SFU needs a fresh join token, which comes through the join tickets.
 */
import { DsCloseCode, SfuCloseCode } from '@conclave/protocol';
import { type JoinTicket, type JoinTickets, NO_RATE_LIMIT_WAIT } from '../join-ticket.ts';
import type { MlsSession } from '../mls-session.ts';
import { SfuRequestError, type SfuSession } from '../sfu-session.ts';
import type { EndReason, StateEvents } from './types.ts';

/** Join phases on the performance timeline (read by the time-to-media benchmark). */
export const markJoinPhase = (phase: string) => performance.mark(`conclave:${phase}`);

/** The DS ended the session for good: why, as the page tells it. */
export function endReasonForDsClose(code: number): EndReason {
  if (code === DsCloseCode.removed || code === DsCloseCode.sessionRefused) return 'removed';
  if (code === DsCloseCode.meetingEnded) return 'ended';
  return 'lost';
}

/** The SFU closed the connection: the end, nothing to do (a newer connection took over), or reconnect. */
export function afterSfuClose(code: number): EndReason | 'replaced' | 'reconnect' {
  if (code === SfuCloseCode.REMOVED) return 'removed';
  if (code === SfuCloseCode.ROOM_ENDED) return 'ended';
  if (code === SfuCloseCode.REPLACED) return 'replaced';
  return 'reconnect';
}

/** A failed attempt to get media back: the end, or undefined to try again. */
export function endReasonForRejoinFailure(error: unknown): EndReason | undefined {
  if (error instanceof SfuRequestError && error.code === `close_${SfuCloseCode.REMOVED}`) return 'removed';
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'meeting_not_found') return 'ended';
  // Locked, and this session's rejoin secret is gone (expired or revoked): no way back in.
  if (code === 'meeting_locked') return 'lost';
  return undefined;
}

export interface ConnectionDeps {
  tickets: JoinTickets;
  mls: Pick<MlsSession, 'connectTo' | 'rotationMs'>;
  sfu: Pick<SfuSession, 'connect' | 'close'>;
  /** Sends this person's media on a new SFU connection and tells the group who they are. */
  publish(): Promise<void>;
  /** The SFU connection is gone: forget its consumers. */
  dropRemoteMedia(): void;
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
    tickets.keepRejoinAlive(() => this.#reconnecting);
    this.keyRotationSeconds = granted.keyRotationSeconds ?? 0;
    mls.rotationMs = this.keyRotationSeconds * 1000;
    await Promise.all([mls.connectTo(granted.dsUrl, granted.token), this.#startMedia(granted.token)]);
  }

  /** The DS connection's own state (it resumes by itself). */
  dsState(state: 'connected' | 'reconnecting'): void {
    this.state = state;
    this.#deps.events.changed();
  }

  sfuClosed(code: number): void {
    const next = afterSfuClose(code);
    if (next === 'reconnect') void this.#reconnectMedia();
    else if (next !== 'replaced') this.#deps.end(next);
  }

  async #startMedia(token: string): Promise<void> {
    await this.#deps.sfu.connect(this.#sfuUrl, token);
    markJoinPhase('sfu-ready');
    await this.#deps.publish();
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
    for (let attempt = 0; !this.#deps.ended(); attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(5000, 300 * 2 ** attempt)));
      try {
        // This loop backs off on its own, a 429 included.
        const { granted } = await tickets.obtain(NO_RATE_LIMIT_WAIT);
        this.#sfuUrl = granted.sfuUrl;
        await this.#startMedia(granted.token);
        break;
      } catch (error) {
        const reason = endReasonForRejoinFailure(error);
        if (reason) return this.#deps.end(reason);
      }
    }
    this.#reconnecting = false;
    this.state = 'connected';
    events.changed();
  }
}
