/**
 * Serves the built web client (dist/) from an HTTP app with the security headers it relies on:
 * a strict CSP (no inline code, no third-party origins, WebSockets only to the DS and SFU),
 * no Referer ever (the meeting password lives in the URL fragment), no framing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLIENT_FILES, SHELL_PATH } from './client-files.ts';

/** The slice of a fastify instance this needs, so the client does not depend on fastify. */
export interface RouteHost {
  get(path: string, handler: (request: unknown, reply: WebReply) => Promise<unknown> | unknown): unknown;
}
export interface WebReply {
  header(name: string, value: string): WebReply;
  type(contentType: string): WebReply;
  code(status: number): WebReply;
  send(body: unknown): unknown;
}

export interface WebClientOptions {
  /** The build output directory (services/web/dist). */
  root: string;
  /** WebSocket origins the page may connect to besides its own (DS and SFU nodes). */
  connectOrigins: string[];
}

export function contentSecurityPolicy(connectOrigins: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    `connect-src 'self' ${connectOrigins.join(' ')}`.trim(),
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Registers `/`, `/m/:meetingId` and the client's files (client-files.ts). Files are read once,
 * at registration. The page is `no-store`; every other file `no-cache`, so a new build (and the
 * service worker that finds it) is seen at the next load.
 */
export async function registerWebClient(app: RouteHost, options: WebClientOptions): Promise<void> {
  const csp = contentSecurityPolicy(options.connectOrigins);
  const html = await readFile(join(options.root, CLIENT_FILES[SHELL_PATH]!.file));
  const assets = new Map<string, [Buffer, string]>();
  for (const [path, { file, contentType }] of Object.entries(CLIENT_FILES)) {
    if (path !== SHELL_PATH) assets.set(path, [await readFile(join(options.root, file)), contentType]);
  }
  const secure = (reply: WebReply) =>
    reply
      .header('content-security-policy', csp)
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('cross-origin-resource-policy', 'same-origin')
      .header('permissions-policy', 'camera=(self), microphone=(self), display-capture=(self)');
  const page = (_request: unknown, reply: WebReply) =>
    secure(reply).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  app.get('/', page);
  app.get('/m/:meetingId', page);
  for (const [path, [body, type]] of assets) {
    app.get(path, (_request: unknown, reply: WebReply) =>
      secure(reply).header('cache-control', 'no-cache').type(type).send(body),
    );
  }
}

/** `ws://host:port/path` → `ws://host:port` (CSP sources are origins). */
export function wsOrigin(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}
