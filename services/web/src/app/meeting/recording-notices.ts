/**
 * Who is recording, told over MLS: each recorder announces its start and stop (and again after
 * every Add, so that newcomers learn it), hosts carry the "ask before recording" preference, and
 * a participant's request to record goes to the hosts, whose answer comes back the same way.
 * No I/O of its own: messages come in through `receive` and go out through `send`.
 */
import type { LeafChanges, SendApplication } from './roster-chat.ts';
import {
  decodeRecordingNotice,
  encodeRecordingNotice,
  type RecordingNotice,
  RecordingNoticeError,
} from './recording-notice.ts';
import type { RosterEntry, StateEvents } from './types.ts';

export interface RecordingNoticesDeps {
  send: SendApplication;
  roster: ReadonlyMap<number, RosterEntry>;
  ownLeaf(): number | undefined;
  isHost(): boolean;
  events: StateEvents;
}

/** A participant's request as the hosts see it. */
export interface RecordingRequest {
  id: string;
  leaf: number;
}

export type Permission = 'allowed' | 'denied' | 'unanswered';

/** How long a request waits for a host before the asker is told nobody answered. */
const ANSWER_TIMEOUT_MS = 120_000;

export class RecordingNotices {
  /** Other members recording now, by leaf. */
  readonly recorders = new Set<number>();
  /** This person is recording. */
  recording = false;
  /** Hosts only: requests waiting for this host's answer. */
  requests: RecordingRequest[] = [];
  /** This host's own preference (sent to everyone). */
  #ownAsk = false;
  /** Each member's last word on the preference: it counts while that member claims to be a host. */
  readonly #askBy = new Map<number, boolean>();
  readonly #waiting = new Map<string, (allowed: boolean) => void>();
  readonly #deps: RecordingNoticesDeps;

  constructor(deps: RecordingNoticesDeps) {
    this.#deps = deps;
  }

  /** This host's own "ask before recording" setting. */
  get ownAsk(): boolean {
    return this.#ownAsk;
  }

  /** Whether a participant (not a host) must ask before recording. */
  get askFirst(): boolean {
    if (this.#deps.isHost() && this.#ownAsk) return true;
    for (const [leaf, ask] of this.#askBy) if (ask && this.#deps.roster.get(leaf)?.host) return true;
    return false;
  }

  nameOf(leaf: number): string {
    return this.#deps.roster.get(leaf)?.name ?? `Participant ${leaf}`;
  }

  /** Bad bytes are dropped (returned for tests); nothing a member sends can break the page. */
  receive(sender: number, body: Uint8Array): RecordingNoticeError | undefined {
    let notice: RecordingNotice;
    try {
      notice = decodeRecordingNotice(body);
    } catch (error) {
      if (error instanceof RecordingNoticeError) return error;
      throw error;
    }
    const { events } = this.#deps;
    switch (notice.type) {
      case 'started':
        if (!this.recorders.has(sender)) events.notice(`${this.nameOf(sender)} is recording`);
        this.recorders.add(sender);
        break;
      case 'stopped':
        if (this.recorders.delete(sender)) events.notice(`${this.nameOf(sender)} stopped recording`);
        break;
      case 'policy':
        this.#askBy.set(sender, notice.ask);
        break;
      case 'request':
        if (this.#deps.isHost() && !this.requests.some((r) => r.id === notice.id)) {
          this.requests.push({ id: notice.id, leaf: sender });
          events.notice(`${this.nameOf(sender)} asks to record the meeting`);
        }
        break;
      case 'answer':
        // Another host answered: the question is settled for every host.
        this.requests = this.requests.filter((r) => r.id !== notice.id);
        if (notice.leaf === this.#deps.ownLeaf() && this.#deps.roster.get(sender)?.host) {
          this.#waiting.get(notice.id)?.(notice.allow);
          this.#waiting.delete(notice.id);
        }
        break;
    }
    events.changed();
    return undefined;
  }

  /** Leaves emptied or refilled lose their recorder mark, preference and requests. */
  prune(epoch: LeafChanges): void {
    const gone = (leaf: number) =>
      !epoch.members.includes(leaf) || epoch.removed.includes(leaf) || epoch.added.includes(leaf);
    for (const leaf of [...this.recorders]) if (gone(leaf)) this.recorders.delete(leaf);
    for (const leaf of [...this.#askBy.keys()]) if (gone(leaf)) this.#askBy.delete(leaf);
    this.requests = this.requests.filter((r) => !gone(r.leaf));
  }

  /** A new MLS membership: the old group's leaves mean nothing in it. */
  clear(): void {
    this.recorders.clear();
    this.#askBy.clear();
    this.requests = [];
  }

  /**
   * Someone joined (or this page did): they learn who records and whether to ask first; `to`
   * the newcomers' DS members, or everyone.
   */
  joined(to?: readonly string[]): void {
    if (this.recording) this.#tell({ type: 'started' }, to);
    if (this.#deps.isHost() && this.#ownAsk) this.#tell({ type: 'policy', ask: true }, to);
  }

  async setAsk(ask: boolean): Promise<void> {
    this.#ownAsk = ask;
    this.#deps.events.changed();
    await this.#deps.send('recording', encodeRecordingNotice({ type: 'policy', ask }));
  }

  /** Hosts record without asking; so does everyone while no host asks to be asked. */
  async permission(): Promise<Permission> {
    if (this.#deps.isHost() || !this.askFirst) return 'allowed';
    const id = [...crypto.getRandomValues(new Uint8Array(8))]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
    const answer = new Promise<Permission>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve('unanswered');
      }, ANSWER_TIMEOUT_MS);
      this.#waiting.set(id, (allowed) => {
        clearTimeout(timer);
        resolve(allowed ? 'allowed' : 'denied');
      });
    });
    await this.#deps.send('recording', encodeRecordingNotice({ type: 'request', id }));
    return answer;
  }

  /** A host's answer, sent to everyone (other hosts drop the request too). */
  async answer(id: string, allow: boolean): Promise<void> {
    const request = this.requests.find((r) => r.id === id);
    this.requests = this.requests.filter((r) => r.id !== id);
    this.#deps.events.changed();
    if (!request) return;
    await this.#deps.send(
      'recording',
      encodeRecordingNotice({ type: 'answer', id, leaf: request.leaf, allow }),
    );
  }

  started(): void {
    this.recording = true;
    this.#tell({ type: 'started' });
  }

  stopped(): void {
    if (!this.recording) return;
    this.recording = false;
    this.#tell({ type: 'stopped' });
  }

  #tell(notice: RecordingNotice, to?: readonly string[]): void {
    void this.#deps.send('recording', encodeRecordingNotice(notice), to).catch(() => {});
    this.#deps.events.changed();
  }
}
