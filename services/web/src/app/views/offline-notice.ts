/**
 * "You are offline" on the home page (opened from the service worker's cache with no network):
 * creating or joining a meeting needs the server, so those buttons are disabled until the
 * browser is back online.
 */
import { h } from '../dom.ts';

export function isOffline(): boolean {
  return globalThis.navigator?.onLine === false;
}

/** The notice, kept in step with the browser's connectivity; `controls` are disabled offline. */
export function offlineNotice(root: HTMLElement, controls: HTMLButtonElement[]): HTMLElement {
  const notice = h(
    'p',
    { class: 'offline-notice', id: 'offline-notice', role: 'status' },
    h('strong', null, 'You are offline.'),
    ' Creating or joining a meeting needs a connection to the server. This page works again as soon as you are back online.',
  );
  const update = () => {
    const offline = isOffline();
    notice.hidden = !offline;
    root.toggleAttribute('data-offline', offline);
    for (const control of controls) control.disabled = offline;
  };
  window.addEventListener('online', update);
  window.addEventListener('offline', update);
  update();
  return notice;
}
