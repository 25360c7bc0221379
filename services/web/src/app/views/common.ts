import { h } from '../dom.ts';
import type { UserError } from '../errors.ts';

export function errorPage(error: UserError, action?: { label: string; href?: string }): HTMLElement {
  return h(
    'section',
    { class: 'card center', role: 'alert', 'aria-labelledby': 'error-title' },
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
