/**
 * One button of the meeting's control bar: an icon above a short visible label (the button's
 * name for screen readers), and a tooltip with the longer action on hover and keyboard focus.
 * The tooltip is CSS (`data-tip`), so it repeats nothing a screen reader would read twice.
 */
import { h } from '../../dom.ts';
import { type IconName, icon } from '../icons.ts';

export interface ControlState {
  icon: IconName;
  label: string;
  tip: string;
  /** A toggle's state (aria-pressed); absent for a plain action. */
  pressed?: boolean;
  /** A count on the icon ("2"), and what it means, read after it ("waiting"). */
  count?: { shown: string; spoken: string };
}

export interface ControlButton {
  el: HTMLButtonElement;
  set(state: ControlState): void;
}

export function controlButton(
  id: string,
  state: ControlState,
  onclick: () => unknown,
  extraClass = '',
): ControlButton {
  const label = h('span', { class: 'control-label' });
  const el = h('button', { type: 'button', class: `control ${extraClass}`.trim(), id, onclick });
  let shown = '';
  function set(next: ControlState): void {
    // Rebuilding the same icon every render would restart hover effects under the pointer.
    const key = `${next.icon}|${next.label}|${next.tip}|${next.pressed}|${next.count?.shown}`;
    if (key === shown) return;
    shown = key;
    const count = next.count
      ? h(
          'span',
          { class: 'control-count' },
          h('span', { class: 'sr-only' }, ' '),
          next.count.shown,
          h('span', { class: 'sr-only' }, ` ${next.count.spoken}`),
        )
      : null;
    el.replaceChildren(icon(next.icon), label);
    if (count) el.append(count);
    label.textContent = next.label;
    el.dataset['tip'] = next.tip;
    if (next.pressed === undefined) el.removeAttribute('aria-pressed');
    else el.setAttribute('aria-pressed', String(next.pressed));
  }
  set(state);
  return { el, set };
}
