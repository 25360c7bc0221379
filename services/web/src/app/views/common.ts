import { h } from '../dom.ts';
import type { UserError } from '../errors.ts';
import type { RateLimitRetryOptions } from '../rate-limit-retry.ts';
import { type IconName, icon } from './icons.ts';

/** A page that replaces the view: what happened, what to do, one way on; `symbol` above the title. */
export function errorPage(
  error: UserError,
  action?: { label: string; href?: string },
  symbol: IconName = 'alert',
): HTMLElement {
  return h(
    'section',
    { class: 'card center', role: 'alert', 'aria-labelledby': 'error-title' },
    h('div', { class: 'page-symbol' }, icon(symbol)),
    h('h1', { id: 'error-title', class: 'error-title' }, error.title),
    h('p', null, error.detail),
    action?.href ? h('a', { class: 'button primary', href: action.href }, action.label) : null,
    action && !action.href
      ? h(
          'button',
          { type: 'button', class: 'button primary', onclick: () => location.reload() },
          action.label,
        )
      : null,
  );
}

export function copyField(label: string, value: string, id: string): HTMLElement {
  const status = h('span', { class: 'copy-status', role: 'status' });
  return h(
    'div',
    { class: 'copy-field' },
    h('label', { for: id }, label),
    h(
      'div',
      { class: 'copy-row' },
      h('input', {
        id,
        readOnly: true,
        value,
        spellcheck: 'false',
        onfocus: (e: Event) => (e.target as HTMLInputElement).select(),
      }),
      h(
        'button',
        {
          type: 'button',
          class: 'button',
          'aria-label': `Copy ${label.toLowerCase()}`,
          onclick: async () => {
            try {
              await navigator.clipboard.writeText(value);
              status.textContent = 'Copied';
            } catch {
              status.textContent = 'Select the text and copy it';
            }
          },
        },
        'Copy',
      ),
      status,
    ),
  );
}

/**
 * The visible side of waiting out a 429 (rate-limit-retry.ts): a banner with a countdown above
 * whatever view is showing, so the wait never looks like a hang.
 */
export const rateLimitNotice = {
  show(waitMs: number): void {
    rateLimitNotice.hide();
    const until = Date.now() + waitMs;
    const text = h('span', null);
    const banner = h(
      'p',
      { id: 'rate-limit-notice', class: 'notice', role: 'status' },
      h('strong', null, 'Too many attempts from your network. '),
      text,
    );
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      text.textContent = `Trying again in ${seconds} s…`;
    };
    tick();
    const timer = setInterval(tick, 1000);
    banner.dataset['timer'] = String(timer);
    document.body.appendChild(banner);
  },
  hide(): void {
    const banner = document.getElementById('rate-limit-notice');
    if (!banner) return;
    clearInterval(Number(banner.dataset['timer']));
    banner.remove();
  },
};

/** How the pages wait out a 429: with the banner above. */
export const visibleRateLimitWait: RateLimitRetryOptions = {
  onWait: rateLimitNotice.show,
  onRetry: rateLimitNotice.hide,
};
