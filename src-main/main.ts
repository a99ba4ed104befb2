// The Electron main process: one window, one service, wired together; each feature lives in its own module.
// Built by desktop-build.ts into dist-main/main.js (ESM) next to dist-main/preload.cjs.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_PROTOCOL, parseImageDisplayPath, type ChooseFilesPurpose, type RecentProject } from './api/contract.js';
import { bindServiceToIpc } from './api/ipc.js';
import { createMaskLoopService, type MaskLoopService } from './api/service.js';
import type { BrowserWindow, ElectronMain, MenuItemOptions } from './electron-api.js';
import { contentSecurityPolicy, rendererAsset, rendererPage } from './web/renderer-assets.js';

const electron = createRequire(import.meta.url)('electron') as ElectronMain;
const { app, BrowserWindow: Window, dialog, ipcMain, Menu, protocol } = electron;

const distMain = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.resolve(distMain, '../dist-renderer');
const APP_ORIGIN = `${APP_PROTOCOL}://app`;
const PROJECT_FILTERS = [{ name: 'MaskLoop project', extensions: ['maskloop'] }];

let window: BrowserWindow | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_PROTOCOL, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  const service = createMaskLoopService({
    host: {
      kind: 'desktop',
      versions: { electron: process.versions.electron ?? '', chrome: process.versions.chrome ?? '' },
      chooseFiles: (purpose) => chooseFiles(purpose),
    },
    dataDir: app.getPath('userData'),
  });
  setupProtocol(service);
  const ipc = bindServiceToIpc(ipcMain, service, (url) => url.startsWith(`${APP_ORIGIN}/`));
  window = createWindow();
  ipc.attach(window.webContents);
  await setupMenu(service);
  service.events.subscribe((event) => {
    if (event === 'project.changed') void setupMenu(service);
  });

  app.on('second-instance', (_event, argv) => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
    const projectPath = projectArgument(argv.slice(1));
    if (projectPath) void openProject(service, projectPath);
  });
  app.on('open-file', (event, file) => {
    event.preventDefault();
    void openProject(service, file);
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    ipc.unbind();
    void service.close();
  });

  const projectPath = projectArgument(process.argv.slice(1));
  if (projectPath) await openProject(service, projectPath);
}

function createWindow(): BrowserWindow {
  const created = new Window({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'MaskLoop',
    show: false,
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: path.join(distMain, 'preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: false,
    },
  });
  // The renderer never opens other windows or leaves the app's own pages.
  created.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  created.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  created.once('ready-to-show', () => created.show());
  created.on('closed', () => {
    window = null;
  });
  void created.loadURL(`${APP_ORIGIN}/index.html`);
  return created;
}

/** maskloop://app/ serves the built renderer (with its CSP) and the project's images. */
function setupProtocol(service: MaskLoopService): void {
  protocol.handle(APP_PROTOCOL, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return new Response('Not found', { status: 404 });
    const imageId = parseImageDisplayPath(url.pathname);
    if (imageId !== undefined) {
      try {
        const image = await service.readImageForDisplay(imageId);
        return new Response(new Uint8Array(image.bytes), { headers: { 'Content-Type': image.mimeType } });
      } catch (error) {
        return new Response((error as Error).message, { status: 404 });
      }
    }
    const file = url.pathname === '/' || url.pathname === '/index.html' ? rendererPage(rendererDir) : rendererAsset(rendererDir, url.pathname);
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), { headers: { 'Content-Type': file.mimeType, 'Content-Security-Policy': contentSecurityPolicy() } });
  });
}

async function setupMenu(service: MaskLoopService): Promise<void> {
  const recent = await service.dispatch('projects.recent', {});
  const recentItems: MenuItemOptions[] =
    recent.ok && (recent.value as RecentProject[]).length > 0
      ? (recent.value as RecentProject[]).map((project) => ({
          label: `${project.name}  (${project.path})`,
          click: () => void openProject(service, project.path),
        }))
      : [{ label: 'No recent projects', enabled: false }];
  const template: MenuItemOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: () => void newProject(service) },
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => void chooseAndOpenProject(service) },
        { label: 'Open Recent', type: 'submenu', submenu: recentItems },
        { type: 'separator' },
        { label: 'Close Project', click: () => void report(service.dispatch('projects.close', {})) },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function chooseAndOpenProject(service: MaskLoopService): Promise<void> {
  const [file] = await chooseFiles('openProject');
  if (file) await openProject(service, file);
}

async function newProject(service: MaskLoopService): Promise<void> {
  const [file] = await chooseFiles('createProject');
  if (file) await report(service.dispatch('projects.create', { path: file }));
}

async function openProject(service: MaskLoopService, file: string): Promise<void> {
  const opened = await report(service.dispatch('projects.open', { path: file }));
  if (opened) app.addRecentDocument(file);
}

/** Shows a failed menu action's message; resolves to whether it succeeded. */
async function report(result: Promise<{ ok: boolean; error?: { message: string } }>): Promise<boolean> {
  const outcome = await result;
  if (!outcome.ok) dialog.showErrorBox('MaskLoop', outcome.error?.message ?? 'The action failed.');
  return outcome.ok;
}

async function chooseFiles(purpose: ChooseFilesPurpose): Promise<string[]> {
  if (!window) return [];
  const imageFilter = { name: 'Images', extensions: ['jpg', 'jpeg', 'png', 'tif', 'tiff', 'webp', 'bmp'] };
  const cocoFilter = { name: 'COCO JSON', extensions: ['json'] };
  switch (purpose) {
    case 'createProject':
      return saved(await dialog.showSaveDialog(window, { title: 'New MaskLoop project', filters: PROJECT_FILTERS, defaultPath: 'labels.maskloop' }));
    case 'exportCoco':
      return saved(await dialog.showSaveDialog(window, { title: 'Export COCO', filters: [cocoFilter], defaultPath: 'annotations.json' }));
    case 'openProject':
      return opened(await dialog.showOpenDialog(window, { title: 'Open project', filters: PROJECT_FILTERS, properties: ['openFile'] }));
    case 'addImages':
      return opened(await dialog.showOpenDialog(window, { title: 'Add images', filters: [imageFilter], properties: ['openFile', 'multiSelections'] }));
    case 'addFolder':
      return opened(await dialog.showOpenDialog(window, { title: 'Add a folder of images', properties: ['openDirectory', 'multiSelections'] }));
    case 'checkpoint':
      return opened(
        await dialog.showOpenDialog(window, { title: 'Add a SAM checkpoint', filters: [{ name: 'SAM checkpoint', extensions: ['pth', 'safetensors'] }], properties: ['openFile'] }),
      );
    case 'importCoco':
      return opened(await dialog.showOpenDialog(window, { title: 'Import COCO', filters: [cocoFilter], properties: ['openFile'] }));
  }
}

function saved(result: { canceled: boolean; filePath?: string }): string[] {
  return result.canceled || !result.filePath ? [] : [result.filePath];
}

function opened(result: { canceled: boolean; filePaths: string[] }): string[] {
  return result.canceled ? [] : result.filePaths;
}

/** The first argument that names a project file (Electron's own flags and the app path are skipped). */
function projectArgument(argv: string[]): string | undefined {
  return argv.find((arg) => arg.endsWith('.maskloop'));
}
