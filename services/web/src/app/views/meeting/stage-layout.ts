/**
 * What the stage shows: one large tile and a filmstrip of small ones, instead of pages of equal
 * tiles. Used when this person chose the speaker view, and whenever a screen is shared (in
 * either choice): the most recent screen takes the stage and people go to the filmstrip.
 * Without a screen, the speaker view's stage holds the pinned person, or else the most recent
 * speaker, held at least STAGE_HOLD_MS so that two people talking over each other do not make
 * the stage flicker. Only the tiles decided here are shown, so only their video is received
 * (video-subscriptions.ts): the stage's at a large size, the filmstrip's at a small one.
 *
 * Pure: it knows tile keys and times, not the page. Tile keys are the grid's: `self` for this
 * person's own tile, `peer:<id>` for someone else's, `screen:<id>` (`screen:self`) for a screen.
 */

export type LayoutChoice = 'gallery' | 'speaker';

/** How long the stage keeps a speaker before showing the next one, in milliseconds. */
export const STAGE_HOLD_MS = 1500;

/** The most people (others than this person) the filmstrip holds. */
export const STRIP_PEOPLE = 5;

export const SELF_KEY = 'self';
export const OWN_SCREEN_KEY = 'screen:self';
export const personKey = (peerId: string) => `peer:${peerId}`;

export interface StageInput {
  choice: LayoutChoice;
  /** Everyone else, by SFU peer ID, in the grid's order (pinned people first). */
  people: readonly string[];
  pinned: ReadonlySet<string>;
  /** The keys of the screens shared now, this person's own (`screen:self`) included. */
  screens: readonly string[];
  /**
   * How many people the layout may show at once, the stage's person included (this person's own
   * tile not counted): the grid's tiles per page less one. The filmstrip holds at most
   * STRIP_PEOPLE of them.
   */
  room: number;
  /** The time now, in milliseconds (performance.now()). */
  now: number;
}

export interface Stage {
  /** The tile on the stage. */
  stage: string;
  /** The filmstrip's tiles, in order: other screens (most recent first), people, this person. */
  strip: string[];
}

export class StageLayout {
  /** The screens shared, in the order they started (the most recent last). */
  #screens: string[] = [];
  /** People by when they last spoke, the most recent first. */
  #recent: string[] = [];
  /** The speaker on the stage, and since when. */
  #speaker = '';
  #since = Number.NEGATIVE_INFINITY;

  /** `id` is speaking now. */
  spoke(id: string): void {
    this.#recent = [id, ...this.#recent.filter((x) => x !== id)];
  }

  /** The stage and filmstrip now, or undefined for the gallery's pages (no screen, gallery chosen). */
  arrange(input: StageInput): Stage | undefined {
    const present = new Set(input.people);
    this.#recent = this.#recent.filter((id) => present.has(id));
    const screens = this.#syncScreens(input.screens);
    if (screens.length === 0 && input.choice === 'gallery') return undefined;
    if (screens.length > 0) {
      const [top, ...others] = screens;
      const people = this.#strip(input, '', Math.max(0, input.room));
      return { stage: top!, strip: [...others, ...people.map(personKey), SELF_KEY] };
    }
    const onStage = this.#stagePerson(input, present);
    if (!onStage) return { stage: SELF_KEY, strip: [] };
    const people = this.#strip(input, onStage, Math.max(0, input.room - 1));
    return { stage: personKey(onStage), strip: [...people.map(personKey), SELF_KEY] };
  }

  /**
   * The screens, the one for the stage first: the most recent share, though another's screen
   * before this person's own (they see their own where they share it).
   */
  #syncScreens(screens: readonly string[]): string[] {
    const now = new Set(screens);
    this.#screens = this.#screens.filter((key) => now.has(key));
    for (const key of screens) if (!this.#screens.includes(key)) this.#screens.push(key);
    const newestFirst = [...this.#screens].reverse();
    return [
      ...newestFirst.filter((k) => k !== OWN_SCREEN_KEY),
      ...newestFirst.filter((k) => k === OWN_SCREEN_KEY),
    ];
  }

  /** The pinned person, else the speaker held on the stage, else the first person; '' if alone. */
  #stagePerson(input: StageInput, present: ReadonlySet<string>): string {
    const pinned = input.people.find((id) => input.pinned.has(id));
    if (pinned) return pinned;
    const latest = this.#recent[0];
    if (!latest) return input.people[0] ?? '';
    // A speaker who left is replaced at once; one still here keeps the stage for STAGE_HOLD_MS.
    if (
      latest !== this.#speaker &&
      (!present.has(this.#speaker) || input.now - this.#since >= STAGE_HOLD_MS)
    ) {
      this.#speaker = latest;
      this.#since = input.now;
    }
    return this.#speaker;
  }

  /**
   * Up to `room` (at most STRIP_PEOPLE) people besides the one on the stage: pinned people, then
   * the most recent speakers, then the grid's order. Shown in the grid's order rather than
   * re-sorted each time someone speaks, so that tiles move little.
   */
  #strip(input: StageInput, onStage: string, room: number): string[] {
    const candidates = input.people.filter((id) => id !== onStage);
    const order = new Map(candidates.map((id, i) => [id, i]));
    const spoke = new Map(this.#recent.map((id, i) => [id, i]));
    const rank = (id: string) => [
      input.pinned.has(id) ? 0 : 1,
      spoke.get(id) ?? Number.POSITIVE_INFINITY,
      order.get(id)!,
    ];
    const byRank = (a: string, b: string) => {
      const [x, y] = [rank(a), rank(b)];
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return 0;
    };
    const chosen = new Set([...candidates].sort(byRank).slice(0, Math.min(room, STRIP_PEOPLE)));
    return candidates.filter((id) => chosen.has(id));
  }
}
