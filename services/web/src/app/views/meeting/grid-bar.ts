/**
 * The bar over the top of the grid, where tiles have no caption: the layout choice ("Gallery" or
 * "Speaker", layout-choice.ts) and, in the gallery when everyone does not fit on one page,
 * "Page 1 of 3" with previous and next buttons (grid-pages.ts).
 */
import { h } from '../../dom.ts';
import { icon } from '../icons.ts';
import type { GridPages } from './grid-pages.ts';
import { layoutControl } from './layout-choice.ts';

export interface GridBar {
  el: HTMLElement;
  /** Shows the pager if `paged` (the gallery is shown) and there is more than one page. */
  show(paged: boolean): void;
}

/** `changed`: the page shown or the layout was chosen again. */
export function gridBar(pages: GridPages, changed: () => void): GridBar {
  const pageLabel = h('span', { id: 'grid-page', 'aria-live': 'polite' });
  const pagerButton = (id: string, label: string, to: () => number, name: 'previousPage' | 'nextPage') =>
    h(
      'button',
      {
        type: 'button',
        class: 'pager-button',
        id,
        'aria-label': label,
        onclick: () => {
          pages.show(to());
          changed();
        },
      },
      icon(name),
    );
  const previous = pagerButton(
    'grid-previous',
    'Previous page of video',
    () => pages.page - 1,
    'previousPage',
  );
  const next = pagerButton('grid-next', 'Next page of video', () => pages.page + 1, 'nextPage');
  const pager = h(
    'nav',
    { class: 'pager', id: 'grid-pager', 'aria-label': 'Pages of video', hidden: true },
    previous,
    pageLabel,
    next,
  );
  const el = h('div', { class: 'grid-bar' }, layoutControl(changed), pager);

  function show(paged: boolean): void {
    const many = paged && pages.pageCount > 1;
    pager.hidden = !many;
    if (many) pageLabel.textContent = `Page ${pages.page + 1} of ${pages.pageCount}`;
    previous.disabled = pages.page === 0;
    next.disabled = pages.page === pages.pageCount - 1;
  }

  return { el, show };
}
