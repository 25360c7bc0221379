/**
 * A long list that keeps only the rows in and near its scrolled view in the DOM. The list
 * element scrolls itself; its ::before and ::after stand for the rows left out above and below
 * (the stylesheet gives them the heights `--rows-above` and `--rows-below` this sets; see
 * people.css), so the scrollbar shows the whole list. Padding would not do: a box never shrinks
 * below its padding. Rows have one height, measured from a shown row.
 *
 * Each update builds the rows in view afresh and keeps an existing row where the new one is
 * identical (isEqualNode), so a row under someone's pointer or keyboard focus stays the same
 * element; scrolling only builds the rows that come into view.
 */

export interface VirtualListOptions<T> {
  /** The scrolling list (a `ul` or `ol`); rows go in as its children. */
  list: HTMLElement;
  /** Names an item across updates. */
  key(item: T): string | number;
  /** Builds an item's row. */
  row(item: T): HTMLElement;
  /** The row height assumed until a row has been measured, in CSS pixels. */
  rowHeight?: number;
  /** Rows kept beyond each edge of the view. */
  overscan?: number;
}

/** The view assumed while the list has no height yet (not laid out): this many rows. */
const UNSIZED_ROWS = 20;

export class VirtualList<T> {
  readonly #o: VirtualListOptions<T>;
  #items: T[] = [];
  #rowHeight: number;
  #start = 0;
  #end = 0;
  /** The rows in the DOM now, by key. */
  #rows = new Map<string | number, HTMLElement>();
  #pending = false;

  constructor(options: VirtualListOptions<T>) {
    this.#o = options;
    this.#rowHeight = options.rowHeight ?? 40;
    options.list.addEventListener('scroll', () => this.#fill(false), { passive: true });
    // A new size (the panel opened, the window resized) can show more rows: fill them next frame.
    new ResizeObserver(() => {
      if (this.#pending) return;
      this.#pending = true;
      requestAnimationFrame(() => {
        this.#pending = false;
        this.#fill(false);
      });
    }).observe(options.list);
  }

  /** Shows `items`, rebuilding the rows in view. */
  update(items: T[]): void {
    this.#items = items;
    this.#fill(true);
  }

  #fill(rebuild: boolean): void {
    const { list, overscan = 10 } = this.#o;
    const n = this.#items.length;
    const rh = this.#rowHeight;
    const view = list.clientHeight || rh * UNSIZED_ROWS;
    // Past the end while the browser has not yet clamped the scroll to a shorter list.
    const top = Math.min(list.scrollTop, Math.max(0, n * rh - view));
    const start = Math.max(0, Math.min(n, Math.floor(top / rh) - overscan));
    const end = Math.min(n, Math.ceil((top + view) / rh) + overscan);
    if (!rebuild && start === this.#start && end === this.#end) return;
    this.#start = start;
    this.#end = end;
    const rows: HTMLElement[] = [];
    const next = new Map<string | number, HTMLElement>();
    for (let i = start; i < end; i++) {
      const item = this.#items[i]!;
      const key = this.#o.key(item);
      const old = this.#rows.get(key);
      let el = old && !rebuild ? old : this.#o.row(item);
      if (old && rebuild && old.isEqualNode(withPosition(el, old))) el = old;
      el.setAttribute('aria-posinset', String(i + 1));
      el.setAttribute('aria-setsize', String(n));
      next.set(key, el);
      rows.push(el);
    }
    this.#rows = next;
    place(list, rows);
    list.style.setProperty('--rows-above', `${start * rh}px`);
    list.style.setProperty('--rows-below', `${(n - end) * rh}px`);
    // Rows are as tall as the stylesheet says (rem: the reader's font size): measure one.
    const measured = rows[0]?.getBoundingClientRect().height ?? 0;
    if (measured > 0 && Math.abs(measured - rh) > 0.01) {
      this.#rowHeight = measured;
      this.#fill(true);
    }
  }
}

/** `fresh` with the position attributes `old` has, so that only content is compared. */
function withPosition(fresh: HTMLElement, old: HTMLElement): HTMLElement {
  for (const name of ['aria-posinset', 'aria-setsize']) {
    const value = old.getAttribute(name);
    if (value !== null) fresh.setAttribute(name, value);
  }
  return fresh;
}

/**
 * Makes `rows` the list's children in order, moving as few as possible: rows that stay keep
 * their place (and the focus inside them).
 */
function place(list: HTMLElement, rows: HTMLElement[]): void {
  const keep = new Set(rows);
  for (const child of [...list.children]) if (!keep.has(child as HTMLElement)) child.remove();
  rows.forEach((row, i) => {
    const at = list.children[i];
    if (at !== row) list.insertBefore(row, at ?? null);
  });
}
