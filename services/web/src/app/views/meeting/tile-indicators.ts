/**
 * A person's tile's indicators: a speaking icon (with the tile's highlighted border) while they
 * are the active speaker, and a signal icon for their connection quality, labelled for screen
 * readers ("Connection: good") and named in the tile's `data-quality`.
 */
import { h } from '../../dom.ts';
import type { Quality } from '../../meeting/connection-quality.ts';
import { type IconName, icon } from '../icons.ts';

const SIGNAL: Record<Quality, IconName> = {
  good: 'signalGood',
  fair: 'signalFair',
  poor: 'signalPoor',
  unknown: 'signalNone',
};

export interface TileIndicators {
  /** Goes before the name. */
  speaking: HTMLElement;
  /** Goes at the end of the caption. */
  signal: HTMLElement;
  show(tile: HTMLElement, speaking: boolean, quality: Quality): void;
  /** Screen tiles: the person's own tile shows both. */
  hide(): void;
}

export function tileIndicators(): TileIndicators {
  // Decoration: the border shows it too, and the label stays short.
  const speaking = h('span', { class: 'speaking-icon', hidden: true }, icon('speaking'));
  const signal = h('span', { class: 'signal', role: 'img' });
  let shown: Quality | undefined;
  return {
    speaking,
    signal,
    show(tile, isSpeaking, quality) {
      tile.classList.toggle('speaking', isSpeaking);
      speaking.hidden = !isSpeaking;
      tile.dataset['quality'] = quality;
      // The grid renders many times a second: the icon is only rebuilt when the level changes.
      if (shown === quality) return;
      shown = quality;
      const label = `Connection: ${quality}`;
      signal.dataset['quality'] = quality;
      signal.setAttribute('aria-label', label);
      signal.title = label;
      signal.replaceChildren(icon(SIGNAL[quality]));
    },
    hide() {
      speaking.hidden = true;
      signal.hidden = true;
    },
  };
}
