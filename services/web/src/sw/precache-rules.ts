/**
 * What the service worker may answer from its cache, as pure rules: only a same-origin GET of
 * one of the client's own files, by its plain path. A request with a query or a fragment, any
 * other method, the API, the DS and SFU WebSockets and every meeting page go to the network
 * untouched, so nothing about a meeting (its ID, its link's secrets, a name) reaches the cache.
 */

/** The build's files, each with the base64 SHA-256 of its content, and a hash of that list. */
export interface Precache {
  version: string;
  files: Record<string, string>;
}

const CACHE_PREFIX = 'conclave-client-';

export function cacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/** A cache of an earlier (or later) build, deleted when this one activates. */
export function isOtherVersionCache(name: string, version: string): boolean {
  return name.startsWith(CACHE_PREFIX) && name !== cacheName(version);
}

export interface RequestFacts {
  method: string;
  url: string;
  mode: string;
}

/**
 * The cache key (a plain path) that may answer `request`, or null to leave it to the network.
 * Navigations are answered only for the home page: a meeting page always comes from the server
 * (and its files too: the worker asks `isHomePage` of the page that requests one).
 */
export function cachedPath(
  request: RequestFacts,
  origin: string,
  files: Record<string, string>,
): string | null {
  if (request.method !== 'GET') return null;
  const url = new URL(request.url);
  if (url.origin !== origin || url.search !== '' || url.hash !== '') return null;
  if (!Object.hasOwn(files, url.pathname)) return null;
  if (request.mode === 'navigate' && url.pathname !== '/') return null;
  return url.pathname;
}

/** The home page, the only page whose files come from the cache. */
export function isHomePage(url: string): boolean {
  return new URL(url).pathname === '/';
}

/** A page of a meeting (pre-join, knock, call or its end): `/m/<meetingId>`. */
export function isMeetingPage(url: string): boolean {
  return new URL(url).pathname.startsWith('/m/');
}
