/**
 * The few service worker APIs src/sw/ uses. The project compiles against the DOM library, which
 * has no service worker scope; these declarations stand in for lib.webworker's.
 */
export interface LifecycleEvent extends Event {
  waitUntil(work: Promise<unknown>): void;
}

export interface FetchRequestEvent extends LifecycleEvent {
  readonly request: Request;
  /** The page (or worker) that made the request; empty for a navigation. */
  readonly clientId: string;
  respondWith(response: Promise<Response>): void;
}

export interface ServiceWorkerScope {
  readonly location: { readonly origin: string };
  readonly clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly { url: string }[]>;
    get(id: string): Promise<{ url: string } | undefined>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: LifecycleEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchRequestEvent) => void): void;
}
