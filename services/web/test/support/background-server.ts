/**
 * A page for the background tests and benchmark: background-page.ts bundled with the app's own
 * background modules, served with the app's real content security policy, next to the built
 * MediaPipe files at the paths the app serves them (dist/assets/mediapipe).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WEB_DIST } from '../../build.ts';
import { mediapipeClientFiles } from '../../src/server/mediapipe-files.ts';
import { contentSecurityPolicy } from '../../src/server/web-routes.ts';

export interface BackgroundServer {
  origin: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

const HTML = '<!doctype html><meta charset="utf-8"><title>background</title><script src="/test.js"></script>';

export async function serveBackgroundPage(): Promise<BackgroundServer> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./background-page.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    target: 'chrome120',
    write: false,
    logLevel: 'warning',
  });
  const files = new Map<string, [Buffer | string, string]>([
    ['/', [HTML, 'text/html; charset=utf-8']],
    ['/test.js', [bundle.outputFiles[0]!.text, 'text/javascript; charset=utf-8']],
  ]);
  for (const [path, { file, contentType }] of Object.entries(mediapipeClientFiles())) {
    files.set(path, [await readFile(`${WEB_DIST}/${file}`), contentType]);
  }
  const csp = contentSecurityPolicy([]);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const found = files.get(path);
    if (!found) {
      res.statusCode = 404;
      return void res.end();
    }
    res.setHeader('content-security-policy', csp);
    res.setHeader('content-type', found[1]);
    res.end(found[0]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
