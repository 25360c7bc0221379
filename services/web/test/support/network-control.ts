/** A test's hold on a page's network: its WebSockets cut, its joins refused by a lock counted. */
import type { Page } from 'playwright-core';

/** What the init script keeps on the page's global object. */
interface NetworkScope {
  testSockets: WebSocket[];
  testOffline: boolean;
  testLockedJoins: number;
}

/**
 * Cuts a page's connections like a network failure. Installed before the page loads: it keeps a
 * handle on the page's WebSockets, and while offline points new ones at a path no server answers
 * (the page's content security policy would refuse any other address).
 */
export async function controlSockets(page: Page): Promise<{
  /** While down, the page's new WebSockets reach no service. */
  offline(down: boolean): Promise<void>;
  /** Closes every open WebSocket of the page (both signaling connections). */
  blip(): Promise<void>;
  /** How many of the page's joins the meeting's lock refused (HTTP 423) so far. */
  lockedJoins(): Promise<number>;
}> {
  await page.addInitScript(() => {
    const Native = WebSocket;
    const sockets: WebSocket[] = [];
    const scope = globalThis as unknown as NetworkScope;
    scope.testSockets = sockets;
    scope.testOffline = false;
    scope.testLockedJoins = 0;
    globalThis.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(scope.testOffline ? String(url).replace(/\/v1\/\w+/, '/v1/offline') : url, protocols);
        sockets.push(this);
      }
    };
    const nativeFetch = globalThis.fetch.bind(globalThis);
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      const response = await nativeFetch(...args);
      if (response.status === 423) scope.testLockedJoins++;
      return response;
    };
  });
  return {
    lockedJoins: () => page.evaluate(() => (globalThis as unknown as NetworkScope).testLockedJoins),
    offline: (down) =>
      page.evaluate((d) => {
        (globalThis as unknown as NetworkScope).testOffline = d;
      }, down),
    blip: () =>
      page.evaluate(() => {
        for (const s of (globalThis as unknown as NetworkScope).testSockets) {
          if (s.readyState === WebSocket.OPEN) s.close(4000 + 999, 'network blip');
        }
      }),
  };
}
