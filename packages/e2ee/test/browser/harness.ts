/**
 * Node side of the browser tests: bundles the page script and the media worker with esbuild,
 * serves them on 127.0.0.1 and drives headless Chromium through playwright-core. The browser
 * benchmarks (bench/*-browser.bench.ts) use the same pieces with their own page script.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Bundles `entry` (a path relative to this file, or a file: URL) for the browser. */
export async function bundle(entry: string | URL, format: 'esm' | 'iife'): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    format,
    platform: 'browser',
    target: 'chrome120',
    write: false,
    // tssrp6a's CommonJS build mentions require("crypto") on a path browsers never take.
    external: ['crypto'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

export interface BrowserSession {
  page: Page;
  origin: string;
  close(): Promise<void>;
}

export function assertChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package or set CHROMIUM_PATH. ` +
        'The browser tests cannot run without it.',
    );
  }
}

/** Served files by URL path: [content type, body]. `/` should load the page script. */
export type PageFiles = Record<string, [string, string]>;

export function pageHtml(script = '/page.js'): string {
  return `<!doctype html><meta charset="utf-8"><script type="module" src="${script}"></script>`;
}

/**
 * Serves `files` on 127.0.0.1, opens `/` in headless Chromium and waits until the page script
 * has set `globalThis[readyGlobal]`.
 */
export async function openPage(files: PageFiles, readyGlobal: string): Promise<BrowserSession> {
  assertChromium();
  const server: Server = createServer((req, res) => {
    const file = files[req.url ?? ''];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(origin + '/');
    await page
      .waitForFunction((name) => name in globalThis, readyGlobal, { timeout: 15_000 })
      .catch(() => {
        throw new Error(`page script did not load: ${errors.join('; ')}`);
      });
    const opened = browser;
    return {
      page,
      origin,
      async close() {
        await opened.close();
        server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    server.close();
    throw error;
  }
}

export async function openBrowserSession(): Promise<BrowserSession> {
  assertChromium();
  const [pageScript, workerScript] = await Promise.all([
    bundle('./entry.ts', 'esm'),
    bundle('../../src/frame-transform/worker-entry.ts', 'iife'),
  ]);
  return openPage(
    {
      '/': ['text/html', pageHtml()],
      '/page.js': ['text/javascript', pageScript],
      '/worker.js': ['text/javascript', workerScript],
    },
    'conclave',
  );
}
