// Who may talk to the service: browser mode's token, Origin and Host checks; IPC's sender check; the preload's method list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createIpcTransport, INVOKE_CHANNEL } from '../../src-main/api/ipc.js';
import type { MaskLoopService } from '../../src-main/api/service.js';
import { startWebServer, type WebServer } from '../../src-main/web/server.js';
import { APP_PAGE, connectIpc, createTestService, FixtureFileServer, tempDir, WINDOW_ID } from './harness.js';

const files = new FixtureFileServer();
let dataDir: string;
let service: MaskLoopService;

before(async () => {
  await files.start();
  dataDir = tempDir('boundaries');
  service = createTestService(dataDir, files);
});
after(async () => {
  files.close();
  await service.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function get(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathAndQuery, headers }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      })
      .on('error', reject);
  });
}

/** Resolves to 'open' or to the HTTP status the upgrade was refused with. */
function connectSocket(url: string, headers: Record<string, string> = {}): Promise<'open' | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', () => resolve(-1));
  });
}

describe('browser mode', () => {
  let server: WebServer;
  let rendererDir: string;

  before(async () => {
    rendererDir = tempDir('renderer');
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>MaskLoop renderer</title><script src="./app.js"></script>');
    fs.writeFileSync(path.join(rendererDir, 'app.js'), 'console.log("renderer")');
    fs.writeFileSync(path.join(dataDir, 'secret.txt'), 'not for the page');
    server = await startWebServer({ service, rendererDir });
  });
  after(async () => {
    await server.close();
    fs.rmSync(rendererDir, { recursive: true, force: true });
  });

  test('listens on 127.0.0.1 with a long random token in the printed URL', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  test('serves the page only with the token, under a strict Content-Security-Policy', async () => {
    const page = await get(server.port, `/?token=${server.token}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /MaskLoop renderer/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'.*script-src 'self'/);
    assert.equal((await get(server.port, '/')).status, 401);
    assert.equal((await get(server.port, '/?token=wrong')).status, 401);
  });

  test('serves built assets but nothing outside the renderer folder', async () => {
    assert.equal((await get(server.port, '/app.js')).status, 200);
    assert.equal((await get(server.port, `/../${path.basename(dataDir)}/secret.txt`)).status, 404);
    assert.equal((await get(server.port, '/%2e%2e/%2e%2e/etc/passwd')).status, 404);
  });

  test('refuses image routes without the token', async () => {
    assert.equal((await get(server.port, '/image/1?v=abc')).status, 401);
  });

  test('refuses requests from another Origin or a rebound Host name, even with the token', async () => {
    assert.equal((await get(server.port, `/?token=${server.token}`, { Origin: 'https://evil.example' })).status, 403);
    assert.equal((await get(server.port, `/?token=${server.token}`, { Host: `evil.example:${server.port}` })).status, 403);
  });

  test('opens the WebSocket only with the token and from its own Origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    assert.equal(await connectSocket(`${base}?token=${server.token}`), 'open');
    assert.equal(await connectSocket(`${base}?token=${server.token}`, { Origin: `http://127.0.0.1:${server.port}` }), 'open');
    assert.equal(await connectSocket(`${base}?token=wrong`), 403);
    assert.equal(await connectSocket(base), 403);
    assert.equal(await connectSocket(`${base}?token=${server.token}`, { Origin: 'https://evil.example' }), 403);
  });

  test('closes a socket that sends something other than a request envelope', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send('not json');
    assert.equal(await closed, 1003);
  });

  test('shows a placeholder page that says how to build the renderer when it is missing', async () => {
    const bare = await startWebServer({ service, rendererDir: path.join(rendererDir, 'missing') });
    try {
      const page = await get(bare.port, `/?token=${bare.token}`);
      assert.equal(page.status, 200);
      assert.match(page.body, /vite build/);
    } finally {
      await bare.close();
    }
  });
});

describe('Electron IPC', () => {
  test('drops requests from a webContents that is not the MaskLoop window', async () => {
    const { ipc, close } = connectIpc(service);
    try {
      const intruder = ipc.ipcRenderer(WINDOW_ID + 1, APP_PAGE);
      const result = (await intruder.invoke(INVOKE_CHANNEL, 'app.info', {})) as { ok: boolean; error?: { code: string } };
      assert.deepEqual([result.ok, result.error?.code], [false, 'FORBIDDEN']);
    } finally {
      await close();
    }
  });

  test('drops requests from a frame showing a page that is not the app, even in the MaskLoop window', async () => {
    const { ipc, close } = connectIpc(service);
    try {
      const navigatedAway = ipc.ipcRenderer(WINDOW_ID, 'https://evil.example/');
      const result = (await navigatedAway.invoke(INVOKE_CHANNEL, 'app.info', {})) as { ok: boolean; error?: { code: string } };
      assert.deepEqual([result.ok, result.error?.code], [false, 'FORBIDDEN']);
    } finally {
      await close();
    }
  });

  test('the preload transport does not forward methods outside the contract to the main process', async () => {
    let forwarded = 0;
    const transport = createIpcTransport({
      invoke: async () => {
        forwarded += 1;
        return { ok: true, value: null };
      },
      on: () => {},
      removeListener: () => {},
    });
    const result = await transport.invoke('shell.openExternal' as 'app.info', {});
    assert.equal(result.ok, false);
    assert.equal(forwarded, 0);
    assert.equal((await transport.invoke('app.info', {})).ok, true);
    assert.equal(forwarded, 1);
  });

  test('image URLs use the app protocol in the desktop app', () => {
    const transport = createIpcTransport({ invoke: async () => null, on: () => {}, removeListener: () => {} });
    assert.equal(transport.imageUrl('image/3?v=abc'), 'maskloop://app/image/3?v=abc');
  });
});
