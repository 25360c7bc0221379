/**
 * Every way into the meeting gets its join token here: the SRP join (started on the pre-join
 * screen, so a wrong password, a locked or ended meeting shows at once), the host's admission of
 * a knock, and the SRP join again after a dropped connection. One rule for all of them: each
 * answer's rejoin secret (single use) is kept and sent with the next join, which lets this
 * person back in through a lock set meanwhile; while in the meeting it is renewed before it
 * expires on the server.
 */
import { deriveMeetingSecrets, type MeetingLink, type MeetingSecrets } from '@conclave/e2ee';
import type { JoinGranted } from '@conclave/protocol';
import { renewRejoin, requestJoin } from './api.ts';
import { type RateLimitRetryOptions, retryWhenRateLimited } from './rate-limit-retry.ts';
import { visibleRateLimitWait } from './views/common.ts';

/** The join token must be used within 60 s: an older ticket is replaced at Join time. */
export const TICKET_MAX_AGE_MS = 40_000;
/** Rejoin secrets live 30 minutes on the server: trade them in well before. */
export const REJOIN_RENEW_MS = 10 * 60_000;
/** A 429 fails the join at once (for callers that retry on their own). */
export const NO_RATE_LIMIT_WAIT: RateLimitRetryOptions = { onWait: () => {}, backoffMs: [] };

export interface JoinTicket {
  granted: JoinGranted;
  obtainedAt: number;
}

export interface JoinTicketDeps {
  requestJoin: typeof requestJoin;
  renewRejoin: typeof renewRejoin;
  now: () => number;
}

const defaults: JoinTicketDeps = { requestJoin, renewRejoin, now: () => performance.now() };

export class JoinTickets {
  readonly link: MeetingLink;
  readonly secrets: MeetingSecrets;
  readonly #deps: JoinTicketDeps;
  /** The rejoin secret of the latest ticket (or its renewal). */
  #rejoin: string | undefined;
  #renewal: ReturnType<typeof setInterval> | undefined;
  /** The SRP join under way, if any: the next one starts after it. */
  #joining: Promise<unknown> = Promise.resolve();
  /** Set while in the meeting: whether renewing must wait (a join is using the secret). */
  #renewalPaused: (() => boolean) | undefined;

  constructor(link: MeetingLink, secrets: MeetingSecrets, deps: Partial<JoinTicketDeps> = {}) {
    this.link = link;
    this.secrets = secrets;
    this.#deps = { ...defaults, ...deps };
  }

  static async open(link: MeetingLink, deps?: Partial<JoinTicketDeps>): Promise<JoinTickets> {
    return new JoinTickets(link, await deriveMeetingSecrets(link.meetingId, link.password), deps);
  }

  get rejoin(): string | undefined {
    return this.#rejoin;
  }

  /**
   * SRP join with the host secret and the latest rejoin secret. A 429 is waited out (by default
   * with a visible countdown). One join at a time (the media and the group may both need one):
   * each uses up the rejoin secret the one before brought.
   */
  obtain(rateLimited: RateLimitRetryOptions = visibleRateLimitWait): Promise<JoinTicket> {
    const next = this.#joining.then(() => this.#obtainNow(rateLimited));
    this.#joining = next.catch(() => {});
    return next;
  }

  async #obtainNow(rateLimited: RateLimitRetryOptions): Promise<JoinTicket> {
    const { meetingId, hostSecret } = this.link;
    const granted = await retryWhenRateLimited(
      () => this.#deps.requestJoin(meetingId, this.secrets.srpSecret, hostSecret, this.#rejoin),
      rateLimited,
    );
    return this.#accept(granted);
  }

  /** The join the host's admission of a knock carries. */
  admitted(granted: JoinGranted): JoinTicket {
    return this.#accept(granted);
  }

  /** The ticket if still fresh, else a new one (the old token may be near its expiry). */
  async fresh(ticket: JoinTicket): Promise<JoinTicket> {
    if (this.#deps.now() - ticket.obtainedAt < TICKET_MAX_AGE_MS) return ticket;
    return this.obtain();
  }

  /** In the meeting: renew the rejoin secret every REJOIN_RENEW_MS, except while `paused()`. */
  keepRejoinAlive(paused: () => boolean): void {
    this.#renewalPaused = paused;
    this.#startRenewal();
  }

  close(): void {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
    this.#renewalPaused = undefined;
  }

  #accept(granted: JoinGranted): JoinTicket {
    this.#rejoin = granted.rejoin;
    this.#startRenewal();
    return { granted, obtainedAt: this.#deps.now() };
  }

  #startRenewal(): void {
    if (this.#renewal || !this.#renewalPaused || !this.#rejoin) return;
    this.#renewal = setInterval(() => {
      const current = this.#rejoin;
      if (!current || this.#renewalPaused?.()) return;
      void this.#deps.renewRejoin(this.link.meetingId, current).then(
        (next) => {
          // A join meanwhile used `current` up and brought its own.
          if (this.#rejoin === current) this.#rejoin = next.rejoin;
        },
        () => {},
      );
    }, REJOIN_RENEW_MS);
  }
}
