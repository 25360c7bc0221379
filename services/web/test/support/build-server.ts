/**
 * Serves one build of the web client over HTTP with the real routes and headers
 * (registerWebClient), and switches to another build on request, like a deployment of a new
 * version. There is no API behind it: `/v1/*` answers 503.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerWebClient, type WebReply } from '../../src/server/web-routes.ts';

type Handler = (request: unknown, reply: WebReply) => unknown;

function replyTo(res: ServerResponse): WebReply {
  const reply: WebReply = {
    header(name, value) {
      res.setHeader(name, value);
      return reply;
    },
    type(contentType) {
      res.setHeader('content-type', contentType);
      return reply;
    },
    code(status) {
      res.statusCode = status;
      return reply;
    },
    send: (body) => res.end(body),
  };
  return reply;
}

async function routesOf(root: string): Promise<Map<string, Handler>> {
  const routes = new Map<string, Handler>();
  await registerWebClient(
    { get: (path, handler) => routes.set(path, handler) },
    { root, connectOrigins: [] },
  );
  return routes;
}

export interface BuildServer {
  origin: string;
  /** From now on, serve the build in `root`. */
  serve(root: string): Promise<void>;
  /** How many times each path was requested, from the start. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

export async function serveBuild(root: string): Promise<BuildServer> {
  let routes = await routesOf(root);
  const requests = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const handler = routes.get(/^\/m\/[^/]+$/.test(path) ? '/m/:meetingId' : path);
    if (req.method === 'GET' && handler) return void handler(req, replyTo(res));
    res.statusCode = path.startsWith('/v1/') ? 503 : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async serve(next) {
      routes = await routesOf(next);
    },
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
