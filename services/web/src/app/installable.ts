/**
 * Registers the service worker (src/sw/) that makes the client installable and lets its home
 * page open offline. Only from the home page: a meeting page never downloads the app's files
 * in the background while a call starts. Without a service worker (an old browser, a private
 * window that refuses it) the client works as before, from the network.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' }).catch(() => {});
}
