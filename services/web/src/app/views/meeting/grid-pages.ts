/**
 * Which people the grid shows, page by page. A meeting of hundreds cannot show everyone, and a
 * browser that decoded everyone would stall: the grid shows one page, and only the people on
 * it get video (video-subscriptions.ts). The order is stable so tiles do not jump around:
 * pinned people first, then everyone in the order they arrived, except that someone who starts
 * speaking off the first page changes places with whoever on the first page spoke least
 * recently (the speaker is seen without anyone else moving).
 */
export class GridPages {
  /** Everyone, in display order (pinned people are put first when a page is cut). */
  #order: string[] = [];
  readonly #pinned = new Set<string>();
  readonly #lastSpoke = new Map<string, number>();
  #page = 0;
  #perPage: number;

  /** `perPage`: how many people a page shows (this person's own tile is not counted). */
  constructor(perPage: number) {
    this.#perPage = Math.max(1, Math.floor(perPage));
  }

  get perPage(): number {
    return this.#perPage;
  }

  set perPage(n: number) {
    this.#perPage = Math.max(1, Math.floor(n));
    this.#page = Math.min(this.#page, this.pageCount - 1);
  }

  /** The page shown, from 0. */
  get page(): number {
    return this.#page;
  }

  get pageCount(): number {
    const pinned = Math.min(this.#pinned.size, this.#perPage);
    const room = this.#perPage - pinned;
    if (room === 0) return 1;
    return Math.max(1, Math.ceil((this.#order.length - pinned) / room));
  }

  /** Keeps the known people in order: newcomers at the end, those gone removed. */
  sync(people: Iterable<string>): void {
    const present = new Set(people);
    this.#order = this.#order.filter((id) => present.has(id));
    const known = new Set(this.#order);
    for (const id of present) if (!known.has(id)) this.#order.push(id);
    for (const id of this.#pinned) if (!present.has(id)) this.#pinned.delete(id);
    for (const id of this.#lastSpoke.keys()) if (!present.has(id)) this.#lastSpoke.delete(id);
    this.#page = Math.min(this.#page, this.pageCount - 1);
  }

  /** `id` is speaking now: brought onto the first page if it is not there. */
  spoke(id: string, now: number): void {
    this.#lastSpoke.set(id, now);
    const order = this.#arranged();
    const at = order.indexOf(id);
    if (at < this.#perPage) return;
    // The first page's least recent speaker (never spoken counts as longest ago), not pinned.
    let swap = -1;
    for (let i = 0; i < Math.min(this.#perPage, order.length); i++) {
      const candidate = order[i]!;
      if (this.#pinned.has(candidate)) continue;
      if (swap < 0 || (this.#lastSpoke.get(candidate) ?? -1) < (this.#lastSpoke.get(order[swap]!) ?? -1))
        swap = i;
    }
    if (swap < 0) return;
    const a = this.#order.indexOf(order[swap]!);
    const b = this.#order.indexOf(id);
    [this.#order[a], this.#order[b]] = [this.#order[b]!, this.#order[a]!];
  }

  /** Everyone, in display order: pinned people first, then the others. */
  everyone(): string[] {
    return this.#arranged();
  }

  /** The people pinned now. */
  get pinned(): ReadonlySet<string> {
    return this.#pinned;
  }

  isPinned(id: string): boolean {
    return this.#pinned.has(id);
  }

  /** Pins or unpins `id`; a pinned person is on every page, first. */
  togglePin(id: string): void {
    if (this.#pinned.has(id)) this.#pinned.delete(id);
    else if (this.#order.includes(id)) this.#pinned.add(id);
    this.#page = Math.min(this.#page, this.pageCount - 1);
  }

  /** Shows page `n` (clamped to the pages there are). */
  show(n: number): void {
    this.#page = Math.max(0, Math.min(Math.floor(n), this.pageCount - 1));
  }

  /** The people on the page shown, in order: pinned people, then the page's share of the rest. */
  visible(): string[] {
    const pinned = this.#order.filter((id) => this.#pinned.has(id)).slice(0, this.#perPage);
    const rest = this.#order.filter((id) => !this.#pinned.has(id));
    const room = this.#perPage - pinned.length;
    if (room <= 0) return pinned;
    // Pinned people take places on every page; the others are cut into pages of what is left.
    const start = this.#page * room;
    return [...pinned, ...rest.slice(start, start + room)];
  }

  #arranged(): string[] {
    return [
      ...this.#order.filter((id) => this.#pinned.has(id)),
      ...this.#order.filter((id) => !this.#pinned.has(id)),
    ];
  }
}
