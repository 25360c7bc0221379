/**
 * Who is in the meeting and what they say: the roster each leaf announces, chat, reactions,
 * raised hands and the host's lock notice, all MLS application messages. No I/O of its own:
 * messages come in through `receive` and go out through the `send` it is given.
 */
import type { AppMessage, AppMessageKind } from '@conclave/e2ee';
import type { ChatLine, MeetingListener, RosterEntry } from './types.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Sends to the group, or only to the DS members in `to`. */
export type SendApplication = (
  kind: AppMessageKind,
  body: Uint8Array,
  to?: readonly string[],
) => Promise<void>;

export interface RosterChatEvents
  extends Pick<MeetingListener, 'changed' | 'notice' | 'presence' | 'chat' | 'reaction'> {
  /** A roster entry came in: media bindings follow it. */
  rosterChanged(): void;
  /** A host announced the meeting locked or unlocked. */
  locked(locked: boolean): void;
}

/** The leaves an epoch left, emptied or filled, for `prune`. */
export interface LeafChanges {
  members: number[];
  added: number[];
  removed: number[];
}

export class RosterChat {
  readonly roster = new Map<number, RosterEntry>();
  readonly chat: ChatLine[] = [];
  hand = false;
  readonly #name: string;
  readonly #send: SendApplication;
  readonly #events: RosterChatEvents;
  /** Leaves a commit filled while we were in the group: their first entry is a join to tell. */
  readonly #arrivals = new Set<number>();

  constructor(name: string, send: SendApplication, events: RosterChatEvents) {
    this.#name = name;
    this.#send = send;
    this.#events = events;
  }

  /**
   * An entry is the word of the member on that leaf now: a leaf this commit emptied or filled
   * (a Remove and an Add can reuse one leaf) loses its former member's entry, peer ID included.
   */
  prune(epoch: LeafChanges): void {
    for (const leaf of epoch.removed) {
      const gone = this.roster.get(leaf);
      if (gone) this.#events.presence(`${gone.name} left`);
      this.#arrivals.delete(leaf);
    }
    for (const leaf of epoch.added) this.#arrivals.add(leaf);
    const changed = new Set([...epoch.added, ...epoch.removed]);
    for (const leaf of [...this.roster.keys()])
      if (!epoch.members.includes(leaf) || changed.has(leaf)) this.roster.delete(leaf);
  }

  /** A new MLS membership: the old group's leaves mean nothing in it. */
  clear(): void {
    this.roster.clear();
    this.#arrivals.clear();
    this.#events.changed();
  }

  /** Everyone's claims but our own leaf's (what media bindings are made from). */
  others(ownLeaf: number | undefined): RosterEntry[] {
    return [...this.roster.values()].filter((e) => e.leaf !== ownLeaf);
  }

  /**
   * Tells the group who this leaf is: name, SFU peer, DS member, hand. With `to`, only those
   * DS members are told: newcomers, when everyone else already knows (one message per member
   * per join reaches the newcomers alone, instead of every member receiving every other's).
   */
  announce(self: RosterEntry, to?: readonly string[]): void {
    const { name, peerId, member, hand, host } = self;
    this.roster.set(self.leaf, self);
    const body = enc.encode(JSON.stringify({ name, peerId, member, hand, host }));
    void this.#send('roster', body, to).catch(() => {});
    this.#events.changed();
  }

  receive(sender: number, message: AppMessage): void {
    const who = () => this.roster.get(sender)?.name ?? `Participant ${sender}`;
    switch (message.kind) {
      case 'roster': {
        try {
          const r = JSON.parse(dec.decode(message.body)) as Partial<RosterEntry>;
          // The entry is the sending leaf's own word, authenticated by MLS. Two leaves naming
          // one SFU peer show nothing for it (media-binding.ts). The host flag is the member's
          // own claim, shown as such.
          this.roster.set(sender, {
            leaf: sender,
            name: String(r.name ?? '').slice(0, 64) || `Participant ${sender}`,
            peerId: String(r.peerId ?? ''),
            member: String(r.member ?? ''),
            hand: r.hand === true,
            host: r.host === true,
          });
          if (this.#arrivals.delete(sender)) this.#events.presence(`${this.roster.get(sender)!.name} joined`);
          this.#events.rosterChanged();
        } catch {}
        break;
      }
      case 'chat': {
        const line = {
          from: who(),
          text: dec.decode(message.body).slice(0, 4000),
          at: Date.now(),
          self: false,
        };
        this.chat.push(line);
        this.#events.chat(line);
        break;
      }
      case 'reaction':
        this.#events.reaction(who(), dec.decode(message.body).slice(0, 8));
        break;
      case 'hand': {
        const entry = this.roster.get(sender);
        if (entry) entry.hand = dec.decode(message.body) === '1';
        if (entry?.hand) this.#events.notice(`${entry.name} raised their hand`);
        break;
      }
      case 'host': {
        const notice = dec.decode(message.body);
        if (notice === 'locked' || notice === 'unlocked') this.#events.locked(notice === 'locked');
        break;
      }
    }
    this.#events.changed();
  }

  async sendChat(text: string): Promise<void> {
    await this.#send('chat', enc.encode(text));
    const line = { from: this.#name, text, at: Date.now(), self: true };
    this.chat.push(line);
    this.#events.chat(line);
  }

  async sendReaction(emoji: string): Promise<void> {
    await this.#send('reaction', enc.encode(emoji));
    this.#events.reaction(this.#name, emoji);
  }

  async setHand(up: boolean, ownLeaf: number | undefined): Promise<void> {
    this.hand = up;
    const self = ownLeaf === undefined ? undefined : this.roster.get(ownLeaf);
    if (self) self.hand = up;
    await this.#send('hand', enc.encode(up ? '1' : '0'));
    this.#events.changed();
  }

  /** A host's lock change, told to the group. */
  announceLock(locked: boolean): Promise<void> {
    return this.#send('host', enc.encode(locked ? 'locked' : 'unlocked'));
  }
}
