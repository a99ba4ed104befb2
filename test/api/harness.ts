// Test harness: one real service reached through each real transport (WebSocket server, Electron IPC
// binding + preload transport over an in-process stand-in for ipcMain/ipcRenderer), and a file server.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import WebSocket from 'ws';
import { createApiClient, type ApiTransport, type MaskLoopClient } from '../../src-main/api/client.js';
import type { CheckpointVariant } from '../../src-main/api/contract.js';
import { bindServiceToIpc, createIpcTransport, type IpcInvokeEvent, type IpcMainLike, type IpcRendererLike } from '../../src-main/api/ipc.js';
import { createMaskLoopService, type MaskLoopService } from '../../src-main/api/service.js';
import { createWebSocketTransport } from '../../src-main/api/websocket-transport.js';
import { startWebServer, type WebServer } from '../../src-main/web/server.js';

export interface Connected {
  name: string;
  client: MaskLoopClient;
  transport: ApiTransport;
  close(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `maskloop-${prefix}-`));
}

const sharedDir = path.resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared');
/** The fixture SAM checkpoint (official key names, a small encoder): small, and a real model to load. */
export const tinyCheckpoint = path.join(sharedDir, 'fixtures/sam-reference/tiny_sam.pth');
/** Built ONNX graphs are cached across the services of one test process. */
const modelCacheDir = tempDir('model-cache');

/** A local stand-in for Meta's download server: every variant is the fixture checkpoint. */
export class FixtureFileServer {
  readonly bytes = fs.readFileSync(tinyCheckpoint);
  readonly sha256 = crypto.createHash('sha256').update(this.bytes).digest('hex');
  chunkDelayMs = 0;
  private server = http.createServer(async (request, response) => {
    response.writeHead(200, { 'Content-Length': String(this.bytes.length) });
    for (let offset = 0; offset < this.bytes.length && !response.destroyed; offset += 1 << 20) {
      await new Promise((resolve) => response.write(this.bytes.subarray(offset, offset + (1 << 20)), resolve));
      if (this.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, this.chunkDelayMs));
    }
    response.end();
  });
  private baseUrl = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  source = (variant: CheckpointVariant) => ({
    fileName: `sam_${variant}_fixture.pth`,
    url: `${this.baseUrl}/sam_${variant}_fixture.pth`,
    size: this.bytes.length,
    sha256: this.sha256,
  });

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

export function createTestService(dataDir: string, files?: FixtureFileServer): MaskLoopService {
  return createMaskLoopService({ host: { kind: 'browser' }, dataDir, modelCacheDir, checkpointSource: files?.source, log: { error: () => {} } });
}

/** A white page with one dark ink "stamp" (a filled rectangle), as PNG. */
export async function writeStampImage(file: string, width: number, height: number, stamp: { left: number; top: number; width: number; height: number }): Promise<void> {
  const ink = await sharp({ create: { width: stamp.width, height: stamp.height, channels: 3, background: '#1c2a8a' } }).png().toBuffer();
  await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([{ input: ink, left: stamp.left, top: stamp.top }])
    .png()
    .toFile(file);
}

export async function connectWebSocket(service: MaskLoopService): Promise<Connected & { server: WebServer }> {
  const server = await startWebServer({ service, rendererDir: tempDir('no-renderer') });
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const transport = createWebSocketTransport(socket, { imageBase: `http://127.0.0.1:${server.port}`, token: server.token });
  return {
    name: 'WebSocket',
    server,
    transport,
    client: createApiClient(transport),
    async close() {
      socket.close();
      await server.close();
    },
  };
}

/**
 * Electron's IPC reduced to what the adapters use: invoke() reaches the handler registered with
 * handle() (arguments and results structured-cloned, as Electron does), send() reaches on().
 */
export class FakeElectronIpc {
  private readonly handlers = new Map<string, (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  private readonly toRenderer = new EventEmitter();

  readonly ipcMain: IpcMainLike = {
    handle: (channel, listener) => void this.handlers.set(channel, listener),
    removeHandler: (channel) => void this.handlers.delete(channel),
  };

  /** The window's webContents as the main process sees it. */
  webContents(id: number) {
    return { id, send: (channel: string, ...args: unknown[]) => this.toRenderer.emit(channel, {}, ...structuredClone(args)), isDestroyed: () => false };
  }

  /** ipcRenderer inside a frame of webContents `senderId` showing `frameUrl`. */
  ipcRenderer(senderId: number, frameUrl: string): IpcRendererLike {
    return {
      invoke: async (channel, ...args) => {
        const handler = this.handlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        return structuredClone(await handler({ sender: { id: senderId }, senderFrame: { url: frameUrl } }, ...structuredClone(args)));
      },
      on: (channel, listener) => void this.toRenderer.on(channel, listener),
      removeListener: (channel, listener) => void this.toRenderer.removeListener(channel, listener),
    };
  }
}

export const WINDOW_ID = 7;
export const APP_PAGE = 'maskloop://app/index.html';

export function connectIpc(service: MaskLoopService): Connected & { ipc: FakeElectronIpc } {
  const ipc = new FakeElectronIpc();
  const binding = bindServiceToIpc(ipc.ipcMain, service, (url) => url.startsWith('maskloop://app/'));
  binding.attach(ipc.webContents(WINDOW_ID));
  const transport = createIpcTransport(ipc.ipcRenderer(WINDOW_ID, APP_PAGE));
  return {
    name: 'Electron IPC',
    ipc,
    transport,
    client: createApiClient(transport),
    async close() {
      binding.unbind();
    },
  };
}
