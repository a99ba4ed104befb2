// Browser mode: the MaskLoop service over a WebSocket and the built renderer over HTTP, on 127.0.0.1 only,
// behind a random token (page, socket and image routes) and refusing other Origins and Host names.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { parseImageDisplayPath } from '../api/contract.js';
import { toApiError } from '../api/dispatch.js';
import { createMaskLoopService, type MaskLoopService } from '../api/service.js';
import type { WireReply } from '../api/websocket-transport.js';
import { defaultDataDir } from './data-dir.js';
import { contentSecurityPolicy, rendererAsset, rendererPage, type RendererFile } from './renderer-assets.js';

export interface WebServerOptions {
  /** Opened before the URL is returned. */
  projectPath?: string;
  /** 0 or absent: a free port. */
  port?: number;
  /** The service to serve; by default one is created for browser mode (and closed with the server). */
  service?: MaskLoopService;
  /** The Vite build of src-renderer/; a placeholder page is served while it does not exist. */
  rendererDir?: string;
}

export interface WebServer {
  /** The page's address, token included. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const wireRequestSchema = z.object({ id: z.number().int(), method: z.string(), params: z.unknown() });

export async function startWebServer(options: WebServerOptions = {}): Promise<WebServer> {
  const service = options.service ?? createMaskLoopService({ host: { kind: 'browser' }, dataDir: defaultDataDir() });
  const rendererDir = options.rendererDir ?? path.join(repoRoot, 'dist-renderer');
  const token = crypto.randomBytes(24).toString('base64url');
  let origin = '';

  if (options.projectPath) {
    const opened = await service.dispatch('projects.open', { path: options.projectPath });
    if (!opened.ok) {
      if (!options.service) await service.close();
      throw Object.assign(new Error(opened.error.message), { code: opened.error.code });
    }
  }

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    if (!trustedRequest(request, origin)) return refuse(response, 403, 'This MaskLoop server only answers its own page on 127.0.0.1.');
    const imageId = parseImageDisplayPath(url.pathname);
    if (imageId !== undefined) {
      if (!hasToken(url, token)) return refuse(response, 401, 'Missing or wrong token.');
      return void serveImage(service, imageId, response);
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      if (!hasToken(url, token)) return refuse(response, 401, 'Open the address MaskLoop printed, token included.');
      const { port } = new URL(origin);
      const csp = contentSecurityPolicy(`'self' ws://127.0.0.1:${port} ws://localhost:${port}`);
      return send(response, rendererPage(rendererDir), { 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' });
    }
    // Built assets carry no project data, so they need no token (the page loads them by relative URL).
    const asset = rendererAsset(rendererDir, url.pathname);
    if (!asset) return refuse(response, 404, 'Not found.');
    send(response, asset);
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 16 << 20 });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname !== '/ws' || !hasToken(url, token) || !trustedRequest(request, origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveSocket(service, ws));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    port,
    token,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.service) await service.close();
    },
  };
}

function serveSocket(service: MaskLoopService, ws: WebSocket): void {
  const send = (reply: WireReply) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
  };
  const unsubscribe = service.events.subscribe((event, payload) => send({ event, payload }));
  ws.on('close', unsubscribe);
  ws.on('message', async (data) => {
    let request: z.output<typeof wireRequestSchema>;
    try {
      request = wireRequestSchema.parse(JSON.parse(String(data)));
    } catch {
      ws.close(1003, 'expected {id, method, params} JSON');
      return;
    }
    send({ id: request.id, result: await service.dispatch(request.method, request.params) });
  });
}

async function serveImage(service: MaskLoopService, imageId: number, response: http.ServerResponse): Promise<void> {
  try {
    const image = await service.readImageForDisplay(imageId);
    // The URL carries the content hash, so a given URL always names the same bytes.
    response.writeHead(200, { 'Content-Type': image.mimeType, 'Cache-Control': 'private, max-age=31536000, immutable' });
    response.end(image.bytes);
  } catch (error) {
    const { code, message } = toApiError(`image ${imageId}`, error, console);
    refuse(response, code === 'NOT_FOUND' || code === 'FILE_NOT_FOUND' ? 404 : 500, message);
  }
}

function send(response: http.ServerResponse, file: RendererFile, headers: Record<string, string> = {}): void {
  response.writeHead(200, { 'Content-Type': file.mimeType, ...headers });
  response.end(file.body);
}

function hasToken(url: URL, token: string): boolean {
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/**
 * A page from another site may not use this server (its Origin differs), nor may a rebound DNS name
 * reach it (its Host differs). Clients that are not browsers send no Origin; they still need the token.
 */
function trustedRequest(request: http.IncomingMessage, origin: string): boolean {
  const host = request.headers.host;
  const port = new URL(origin).port;
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false;
  const requestOrigin = request.headers.origin;
  return requestOrigin === undefined || requestOrigin === origin || requestOrigin === `http://localhost:${port}`;
}

function refuse(response: http.ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(message);
}
