/**
 * How many video tiles a page of the grid holds, this person's own included: chosen in the
 * settings panel and remembered on this device, or fitted to the screen ("Automatic": fewer on
 * a phone). Only the tiles on the page shown receive video (video-subscriptions.ts).
 */
import { h } from '../../dom.ts';

const STORAGE_KEY = 'conclave:tiles-per-page';

export const TILE_CHOICES = [4, 9, 16, 25] as const;
export type TilesChoice = 'auto' | (typeof TILE_CHOICES)[number];

/** A phone, as the stylesheet tells one (phone.css). */
const SMALL_SCREEN = '(max-width: 700px), (max-height: 500px)';

/** The choice in use: read from storage once, then what is chosen on this page. */
let chosen: TilesChoice | undefined;

export function tilesChoice(): TilesChoice {
  if (chosen !== undefined) return chosen;
  // Read once: the grid asks on every render.
  try {
    const n = Number(localStorage.getItem(STORAGE_KEY));
    chosen = (TILE_CHOICES as readonly number[]).includes(n) ? (n as TilesChoice) : 'auto';
  } catch {
    chosen = 'auto';
  }
  return chosen;
}

/** Tiles a page holds for `choice`: automatic is 6 on a phone and 9 on a bigger screen. */
export function tilesPerPage(choice: TilesChoice = tilesChoice()): number {
  if (choice !== 'auto') return choice;
  return globalThis.matchMedia?.(SMALL_SCREEN).matches ? 6 : 9;
}

/** The settings panel's select; `changed` runs after a choice is stored. */
export function tilesPerPageControl(changed: () => void): HTMLElement {
  const select = h(
    'select',
    { id: 'settings-tiles' },
    h('option', { value: 'auto' }, 'Automatic'),
    ...TILE_CHOICES.map((n) => h('option', { value: String(n) }, String(n))),
  );
  select.value = String(tilesChoice());
  select.addEventListener('change', () => {
    chosen = select.value === 'auto' ? 'auto' : (Number(select.value) as TilesChoice);
    try {
      if (select.value === 'auto') localStorage.removeItem(STORAGE_KEY);
      else localStorage.setItem(STORAGE_KEY, select.value);
    } catch {
      // Storage refused (private mode): the choice lasts for this page.
    }
    changed();
  });
  return h('div', {}, h('label', { for: 'settings-tiles' }, 'Video tiles per page'), select);
}
