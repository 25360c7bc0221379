/**
 * The grid's layout, chosen over the grid and remembered on this device: "Gallery" (pages of
 * equal tiles, grid-pages.ts) or "Speaker" (one large tile and a filmstrip, stage-layout.ts).
 * A shared screen takes the stage in either.
 */
import { h } from '../../dom.ts';
import { icon } from '../icons.ts';
import type { LayoutChoice } from './stage-layout.ts';

const STORAGE_KEY = 'conclave:layout';

/** The choice in use: read from storage once, then what is chosen on this page. */
let chosen: LayoutChoice | undefined;

export function layoutChoice(): LayoutChoice {
  if (chosen !== undefined) return chosen;
  try {
    chosen = localStorage.getItem(STORAGE_KEY) === 'speaker' ? 'speaker' : 'gallery';
  } catch {
    chosen = 'gallery';
  }
  return chosen;
}

function choose(choice: LayoutChoice): void {
  chosen = choice;
  try {
    if (choice === 'gallery') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Storage refused (private mode): the choice lasts for this page.
  }
}

/** Two buttons, "Gallery" and "Speaker", the one in use pressed; `changed` runs after a choice. */
export function layoutControl(changed: () => void): HTMLElement {
  const button = (choice: LayoutChoice, text: string, tip: string) =>
    h(
      'button',
      {
        type: 'button',
        class: 'layout-button',
        id: `layout-${choice}`,
        title: tip,
        'aria-pressed': String(layoutChoice() === choice),
        onclick: () => {
          if (layoutChoice() === choice) return;
          choose(choice);
          for (const b of buttons) b.setAttribute('aria-pressed', String(b === buttonFor[choice]));
          changed();
        },
      },
      icon(choice),
      h('span', { class: 'layout-label' }, text),
    );
  const buttonFor = {
    gallery: button('gallery', 'Gallery', 'Show everyone in tiles of one size'),
    speaker: button('speaker', 'Speaker', 'Show the person speaking large'),
  };
  const buttons = [buttonFor.gallery, buttonFor.speaker];
  return h(
    'div',
    { class: 'layout-choice', id: 'grid-layout', role: 'group', 'aria-label': 'Layout' },
    buttons,
  );
}
