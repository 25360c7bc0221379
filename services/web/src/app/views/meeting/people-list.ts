/**
 * The People panel's list, searchable and virtualised: a meeting of a thousand keeps a few dozen
 * rows in the DOM (virtual-list.ts), ordered and filtered by people-order.ts. The search text
 * and the scroll position live in these elements, which the panel keeps for the whole meeting.
 */
import { h } from '../../dom.ts';
import type { RosterEntry } from '../../meeting/types.ts';
import { orderPeople } from './people-order.ts';
import { type PersonActions, personRow } from './person-row.ts';
import { VirtualList } from './virtual-list.ts';

/** What the list shows, read from the meeting at each render. */
export interface PeopleListView {
  /** Everyone whose name is known (a list, not an iterator: a search re-reads it). */
  people: readonly RosterEntry[];
  /** How many that is (the "of M" of a search). */
  count: number;
  ownLeaf: number | undefined;
  isHost: boolean;
  recording(r: RosterEntry): boolean;
  /** The person's microphone is off or not received. */
  muted(r: RosterEntry): boolean;
}

export interface PeopleList {
  /** The search field with its label, the match count and the list, in that order. */
  nodes: HTMLElement[];
  update(view: PeopleListView): void;
  /** Scrolls the list back to where it was (a list taken out of the page forgets it). */
  restoreScroll(): void;
}

export function peopleList(actions: PersonActions): PeopleList {
  let view: PeopleListView | undefined;
  let scrollTop = 0;
  const search = h('input', {
    type: 'search',
    id: 'people-search',
    class: 'people-search',
    placeholder: 'Search people',
    autocomplete: 'off',
    spellcheck: 'false',
    oninput: () => {
      ul.scrollTop = 0;
      refresh();
    },
    // Escape empties the search before it closes the panel (meeting-view.ts).
    onkeydown: (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || search.value === '') return;
      e.preventDefault();
      e.stopPropagation();
      search.value = '';
      ul.scrollTop = 0;
      refresh();
    },
  });
  const label = h('label', { for: 'people-search', class: 'sr-only' }, 'Search people');
  const matches = h('p', { class: 'muted people-matches', id: 'people-matches', role: 'status' });
  // Focusable, so that a keyboard scrolls it; named, so that a screen reader says what it is.
  const ul = h('ul', {
    class: 'people people-list',
    id: 'people-list',
    role: 'list',
    tabindex: '0',
    'aria-label': 'People in the meeting',
    onscroll: () => {
      scrollTop = ul.scrollTop;
    },
  });
  const list = new VirtualList<RosterEntry>({
    list: ul,
    key: (r) => r.leaf,
    row: (r) => {
      const own = r.leaf === view?.ownLeaf;
      return personRow({
        entry: r,
        own,
        ownHost: !!view?.isHost,
        recording: !!view?.recording(r),
        muted: !!view?.muted(r),
        actions: view?.isHost && !own ? actions : undefined,
      });
    },
  });

  function refresh(): void {
    if (!view) return;
    const query = search.value.trim();
    const shown = orderPeople(view.people, view.ownLeaf, query);
    ul.classList.toggle('hosting', view.isHost);
    const text =
      query === '' ? '' : `${shown.length} of ${view.count} ${shown.length === 1 ? 'matches' : 'match'}`;
    if (matches.textContent !== text) matches.textContent = text;
    list.update(shown);
  }

  return {
    nodes: [label, search, matches, ul],
    update(next) {
      view = next;
      refresh();
    },
    restoreScroll() {
      if (ul.scrollTop !== scrollTop) ul.scrollTop = scrollTop;
    },
  };
}
