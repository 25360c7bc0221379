/**
 * The service worker: keeps the client's own files so the app installs and its home page opens
 * offline. It caches at install time only, from the list the build wrote into it (never what
 * passes through), checks every file against its build hash so a cache never mixes two versions,
 * and answers from the cache by plain path, for the home page only (precache-rules.ts).
 *
 * Updates: the browser looks for a new /sw.js at each load; a new build installs in the
 * background. If no meeting page is open it takes over at once: the open pages keep the code
 * they loaded, and the next load is the new version. While a meeting page is open it waits
 * (the browser's default), so a running call keeps the worker it started with; it takes over
 * once no page of the old version is open, and the next load is the new version.
 */
import {
  cachedPath,
  cacheName,
  isHomePage,
  isMeetingPage,
  isOtherVersionCache,
  type Precache,
} from './precache-rules.ts';
import type { ServiceWorkerScope } from './worker-scope.ts';

async function sha256(body: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  return btoa(String.fromCharCode(...digest));
}

async function precacheAll(precache: Precache): Promise<void> {
  const name = cacheName(precache.version);
  const cache = await caches.open(name);
  try {
    await Promise.all(
      Object.entries(precache.files).map(async ([path, hash]) => {
        // Past the HTTP cache; a redirected response could not answer a navigation.
        const response = await fetch(path, { cache: 'reload', redirect: 'error' });
        if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
        // During a rolling update another server may answer with another build's file.
        if ((await sha256(await response.clone().arrayBuffer())) !== hash)
          throw new Error(`${path} is not from this build`);
        await cache.put(path, response);
      }),
    );
  } catch (error) {
    await caches.delete(name);
    throw error; // the install fails; the browser tries again at a later load
  }
}

export function startServiceWorker(precache: Precache): void {
  const scope = self as unknown as ServiceWorkerScope;
  const name = cacheName(precache.version);

  const takeOverUnlessInMeeting = async () => {
    // Uncontrolled pages too: to an installing worker, every page is one.
    const pages = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (!pages.some((page) => isMeetingPage(page.url))) await scope.skipWaiting();
  };

  scope.addEventListener('install', (event) => {
    event.waitUntil(precacheAll(precache).then(takeOverUnlessInMeeting));
  });

  scope.addEventListener('activate', (event) => {
    event.waitUntil(
      caches
        .keys()
        .then((names) =>
          Promise.all(
            names.filter((n) => isOtherVersionCache(n, precache.version)).map((n) => caches.delete(n)),
          ),
        ),
    );
  });

  scope.addEventListener('fetch', (event) => {
    const path = cachedPath(event.request, scope.location.origin, precache.files);
    if (path === null) return;
    const request = event.request;
    const fromCache = () =>
      caches
        .open(name)
        .then((cache) => cache.match(path))
        .then((cached) => cached ?? fetch(request));
    if (request.mode === 'navigate') return event.respondWith(fromCache());
    // The cached files serve the home page only. A meeting page loads the version on the
    // server, as it would without this worker: a page refused as out of date reloads into the
    // new version even while this one is still in charge.
    event.respondWith(
      scope.clients
        .get(event.clientId)
        .then((client) => (client && isHomePage(client.url) ? fromCache() : fetch(request))),
    );
  });
}
