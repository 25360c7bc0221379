/**
 * What a host can do: let knockers in from the lobby, mute, stop or remove someone, lock,
 * end the meeting for all, and give a permanent room a new link. The lobby is long-polled for
 * the whole call; the names in it are opened here with the meeting's name key.
 */
import { type MeetingLink, type MeetingSecrets, openDisplayName } from '@conclave/e2ee';
import { ApiError, answerKnock, endMeeting, lobbyWait, rotateMeeting, setLocked } from '../api.ts';
import type { MlsSession } from '../mls-session.ts';
import type { SfuSession } from '../sfu-session.ts';
import type { EndReason, LobbyEntry, RosterEntry, StateEvents } from './types.ts';

export interface HostControlsDeps {
  link: MeetingLink;
  nameKey: MeetingSecrets['nameKey'];
  roster: ReadonlyMap<number, RosterEntry>;
  sfu: Pick<SfuSession, 'request'>;
  mls: Pick<MlsSession, 'member' | 'memberAt' | 'kick'>;
  /** Tells the group the meeting is now locked or unlocked. */
  announceLock(locked: boolean): Promise<void>;
  end(reason: EndReason): void;
  ended(): boolean;
  events: StateEvents;
}

const hasCode = (error: unknown, ...codes: string[]) =>
  error instanceof ApiError && codes.includes(error.code);

export class HostControls {
  locked = false;
  /** People knocking while the meeting is locked (hosts only). */
  lobby: LobbyEntry[] = [];
  readonly #deps: HostControlsDeps;
  readonly #lobbyAbort = new AbortController();
  readonly #lobbyNames = new Map<string, string>();

  constructor(deps: HostControlsDeps) {
    this.#deps = deps;
  }

  #hostSecret(): string {
    if (!this.#deps.link.hostSecret) throw new Error('host only');
    return this.#deps.link.hostSecret;
  }

  /** Long-polls the lobby until the meeting ends and opens the sealed names of people knocking. */
  async watchLobby(): Promise<void> {
    const { link, events } = this.#deps;
    const hostSecret = this.#hostSecret();
    for (let failures = 0; !this.#deps.ended(); ) {
      try {
        const seen = this.lobby.map((k) => k.knockId);
        const { knocks } = await lobbyWait(link.meetingId, hostSecret, seen, this.#lobbyAbort.signal);
        failures = 0;
        const next: LobbyEntry[] = [];
        for (const k of knocks) {
          let name = this.#lobbyNames.get(k.knockId);
          if (name === undefined) {
            name = await openDisplayName(this.#deps.nameKey, link.meetingId, k.sealedName).catch(
              () => 'Someone (name unreadable)',
            );
            this.#lobbyNames.set(k.knockId, name);
            events.notice(`${name} is asking to join`);
          }
          next.push({ knockId: k.knockId, name });
        }
        for (const id of this.#lobbyNames.keys())
          if (!knocks.some((k) => k.knockId === id)) this.#lobbyNames.delete(id);
        this.lobby = next;
        events.changed();
      } catch (error) {
        if (this.#deps.ended() || hasCode(error, 'meeting_not_found')) return;
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** failures++)));
      }
    }
  }

  /** Lets a knocker in (or not). The knock leaves the list either way. */
  async answerKnock(knockId: string, admit: boolean): Promise<void> {
    const entry = this.lobby.find((k) => k.knockId === knockId);
    this.lobby = this.lobby.filter((k) => k.knockId !== knockId);
    this.#deps.events.changed();
    try {
      await answerKnock(this.#deps.link.meetingId, this.#hostSecret(), knockId, admit);
    } catch (error) {
      if (!hasCode(error, 'knock_not_found', 'knock_answered')) throw error;
    }
    if (entry) this.#deps.events.notice(admit ? `Letting ${entry.name} in` : `${entry.name} was not let in`);
  }

  async mute(leaf: number): Promise<void> {
    const peerId = this.#deps.roster.get(leaf)?.peerId;
    if (peerId) await this.#deps.sfu.request('hostMute', { peerId });
  }

  async allowMic(leaf: number): Promise<void> {
    const peerId = this.#deps.roster.get(leaf)?.peerId;
    if (peerId) await this.#deps.sfu.request('hostAllow', { peerId, sources: ['mic'] });
  }

  async stopVideo(leaf: number): Promise<void> {
    const peerId = this.#deps.roster.get(leaf)?.peerId;
    if (peerId) await this.#deps.sfu.request('hostStopVideo', { peerId });
  }

  /**
   * The SFU closes their media and tells the DS, whose members then commit the Remove. The DS
   * is told the member ID it gave that leaf itself; the roster entry's claim is only a fallback.
   */
  async remove(leaf: number): Promise<void> {
    const { roster, mls, sfu } = this.#deps;
    const entry = roster.get(leaf);
    const member = mls.memberAt(leaf) ?? entry?.member;
    if (entry?.peerId) await sfu.request('hostRemove', { peerId: entry.peerId }).catch(() => {});
    if (member && member !== mls.member) mls.kick(member);
  }

  async setLocked(locked: boolean): Promise<void> {
    await setLocked(this.#deps.link.meetingId, this.#hostSecret(), locked);
    this.locked = locked;
    await this.#deps.announceLock(locked).catch(() => {});
    this.#deps.events.changed();
  }

  async endForAll(): Promise<void> {
    await endMeeting(this.#deps.link.meetingId, this.#hostSecret()).catch(() =>
      this.#deps.sfu.request('hostEndMeeting', {}),
    );
    this.#deps.end('ended');
  }

  /** Permanent rooms only: the current link dies (and this call with it); returns the new one. */
  rotate(): Promise<{ meetingId: string; password: string; hostSecret: string }> {
    return rotateMeeting(this.#deps.link.meetingId, this.#hostSecret());
  }

  /** The meeting is over: stop polling the lobby. */
  close(): void {
    this.#lobbyAbort.abort();
  }
}
