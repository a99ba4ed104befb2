// The desktop bundles as Electron would load them, with a recording stand-in for the 'electron' module:
// the window's security settings, the app protocol (page with CSP), IPC answered only for the window,
// the sandboxed preload exposing exactly the transport, and the embedding worker running from the bundle.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { buildDesktop } from '../../src-main/desktop-build.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tiny = path.resolve(repoRoot, '../shared/fixtures/sam-reference/tiny_sam.pth');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-desktop-'));
const outDir = path.join(root, 'dist-main');

interface RecordedWindow {
  options: { webPreferences: Record<string, unknown> };
  loadedUrl?: string;
  webContents: { id: number; sent: unknown[][] };
}

/** What the stand-in records of main.ts's calls. */
const recorded = {
  windows: [] as RecordedWindow[],
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  ipcHandlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
  menus: 0,
  privilegedSchemes: [] as string[],
};

function fakeElectron() {
  return {
    app: {
      requestSingleInstanceLock: () => true,
      whenReady: () => Promise.resolve(),
      quit: () => {},
      getPath: () => path.join(root, 'user-data'),
      getVersion: () => '0.0.0',
      addRecentDocument: () => {},
      on: () => {},
    },
    BrowserWindow: class {
      readonly webContents = {
        id: 41,
        sent: [] as unknown[][],
        send: (...args: unknown[]) => this.webContents.sent.push(args),
        isDestroyed: () => false,
        setWindowOpenHandler: () => {},
        on: () => {},
      };
      loadedUrl?: string;
      constructor(readonly options: RecordedWindow['options']) {
        recorded.windows.push(this);
      }
      loadURL(url: string) {
        this.loadedUrl = url;
        return Promise.resolve();
      }
      once() {}
      on() {}
    },
    ipcMain: {
      handle: (channel: string, listener: (event: unknown, ...args: unknown[]) => Promise<unknown>) => recorded.ipcHandlers.set(channel, listener),
      removeHandler: (channel: string) => recorded.ipcHandlers.delete(channel),
    },
    Menu: { buildFromTemplate: (template: unknown) => template, setApplicationMenu: () => void (recorded.menus += 1) },
    dialog: { showErrorBox: () => {} },
    protocol: {
      registerSchemesAsPrivileged: (schemes: { scheme: string }[]) => recorded.privilegedSchemes.push(...schemes.map((s) => s.scheme)),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => recorded.protocolHandlers.set(scheme, handler),
    },
  };
}

before(async () => {
  await buildDesktop({ root: repoRoot, outDir });
  // node_modules beside the bundle, as in the packaged app: the real packages plus the stand-in 'electron'.
  const modules = path.join(root, 'node_modules');
  fs.mkdirSync(path.join(modules, 'electron'), { recursive: true });
  for (const entry of fs.readdirSync(path.join(repoRoot, 'node_modules'))) {
    if (entry !== 'electron' && !entry.startsWith('.')) fs.symlinkSync(path.join(repoRoot, 'node_modules', entry), path.join(modules, entry));
  }
  fs.writeFileSync(path.join(modules, 'electron', 'index.js'), 'module.exports = globalThis.maskloopFakeElectron;');
  Object.assign(globalThis, { maskloopFakeElectron: fakeElectron() });
  await import(pathToFileURL(path.join(outDir, 'main.js')).href);
  for (let waited = 0; recorded.menus === 0 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('the window is sandboxed with context isolation and no Node, and loads the app protocol', () => {
  const [window] = recorded.windows;
  assert.equal(recorded.windows.length, 1);
  assert.deepEqual(
    { contextIsolation: window.options.webPreferences.contextIsolation, nodeIntegration: window.options.webPreferences.nodeIntegration, sandbox: window.options.webPreferences.sandbox },
    { contextIsolation: true, nodeIntegration: false, sandbox: true },
  );
  assert.equal(window.options.webPreferences.preload, path.join(outDir, 'preload.cjs'));
  assert.equal(window.loadedUrl, 'maskloop://app/index.html');
  assert.deepEqual(recorded.privilegedSchemes, ['maskloop']);
  assert.ok(recorded.menus >= 1);
});

test('the app protocol serves the page with a strict CSP and refuses other hosts', async () => {
  const handler = recorded.protocolHandlers.get('maskloop')!;
  const page = await handler(new Request('maskloop://app/index.html'));
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
  assert.equal((await handler(new Request('maskloop://elsewhere/index.html'))).status, 404);
  assert.equal((await handler(new Request('maskloop://app/image/1?v=x'))).status, 404);
});

test('IPC answers the window and refuses other senders', async () => {
  const invoke = recorded.ipcHandlers.get('maskloop:invoke')!;
  const fromWindow = (await invoke({ sender: { id: 41 }, senderFrame: { url: 'maskloop://app/index.html' } }, 'app.info', {})) as {
    ok: boolean;
    value: { host: string; nativeDialogs: boolean };
  };
  assert.deepEqual([fromWindow.ok, fromWindow.value.host, fromWindow.value.nativeDialogs], [true, 'desktop', true]);
  const fromElsewhere = (await invoke({ sender: { id: 99 }, senderFrame: { url: 'maskloop://app/index.html' } }, 'app.info', {})) as { ok: boolean };
  assert.equal(fromElsewhere.ok, false);
});

test('the sandboxed preload needs only electron and exposes the contract transport as window.maskloop', async () => {
  const source = fs.readFileSync(path.join(outDir, 'preload.cjs'), 'utf8');
  const required = [...source.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
  assert.deepEqual([...new Set(required)], ['electron']);
  const exposed = new Map<string, unknown>();
  const invoked: unknown[][] = [];
  const sandboxRequire = (name: string) => {
    assert.equal(name, 'electron');
    return {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
      ipcRenderer: { invoke: async (...args: unknown[]) => invoked.push(args), on: () => {}, removeListener: () => {} },
    };
  };
  vm.runInNewContext(source, { require: sandboxRequire, module: { exports: {} }, exports: {}, console });
  const bridge = exposed.get('maskloop') as { invoke(method: string, params: unknown): Promise<{ ok: boolean }>; imageUrl(p: string): string };
  assert.deepEqual([...exposed.keys()], ['maskloop']);
  await bridge.invoke('projects.open', { path: '/tmp/x.maskloop' });
  assert.deepEqual(invoked, [['maskloop:invoke', 'projects.open', { path: '/tmp/x.maskloop' }]]);
  assert.equal((await bridge.invoke('child_process.exec', {})).ok, false);
  assert.equal(invoked.length, 1);
  assert.equal(bridge.imageUrl('image/2?v=h'), 'maskloop://app/image/2?v=h');
});

test('the bundled embedding worker imports only the unpacked native packages and embeds an image', async () => {
  const source = fs.readFileSync(path.join(outDir, 'embed-worker.js'), 'utf8');
  const packages = [...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]).filter((name) => !name.startsWith('node:'));
  assert.deepEqual([...new Set(packages)].sort(), ['onnxruntime-node', 'sharp']);
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(path.join(outDir, 'embed-worker.js'), { workerData: { checkpoint: tiny, cacheDir: path.join(root, 'cache') } });
  try {
    const reply = await new Promise<{ id: number; data?: Float32Array; error?: { message: string } }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage({ id: 1, imagePath: path.resolve(repoRoot, '../shared/fixtures/sam-reference/image_exact.png') });
    });
    assert.equal(reply.error, undefined);
    assert.equal(reply.data?.length, 256 * 64 * 64);
  } finally {
    await worker.terminate();
  }
});
