// The part of Electron's API that MaskLoop uses, declared locally (signatures as in Electron's docs).
// `electron` is an optionalDependency that offline installs lack, and its own typings declare the
// module globally, so a fallback `declare module 'electron'` would clash wherever it is installed.
// main.ts and preload.ts therefore load Electron at run time and view it through these interfaces:
// tsc passes with or without the package, and only what is listed here can be called.
import type { IpcMainLike, IpcRendererLike, WebContentsLike } from './api/ipc.js';

export interface FileFilter {
  name: string;
  extensions: string[];
}

export interface OpenDialogOptions {
  title?: string;
  defaultPath?: string;
  filters?: FileFilter[];
  properties?: ('openFile' | 'openDirectory' | 'multiSelections' | 'createDirectory')[];
}

export interface SaveDialogOptions {
  title?: string;
  defaultPath?: string;
  filters?: FileFilter[];
}

export interface MenuItemOptions {
  label?: string;
  role?: 'quit' | 'editMenu' | 'reload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen' | 'about' | 'windowMenu';
  type?: 'separator' | 'submenu';
  accelerator?: string;
  enabled?: boolean;
  submenu?: MenuItemOptions[];
  click?: () => void;
}

export interface WebContents extends WebContentsLike {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: { preventDefault(): void }, url: string) => void): void;
}

export interface BrowserWindowOptions {
  width: number;
  height: number;
  minWidth?: number;
  minHeight?: number;
  title: string;
  show: boolean;
  backgroundColor?: string;
  webPreferences: {
    preload: string;
    contextIsolation: boolean;
    nodeIntegration: boolean;
    sandbox: boolean;
    webSecurity: boolean;
    spellcheck?: boolean;
  };
}

export interface BrowserWindow {
  readonly webContents: WebContents;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): void;
  on(event: 'closed', listener: () => void): void;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
}

export interface ElectronMain {
  app: {
    requestSingleInstanceLock(): boolean;
    whenReady(): Promise<void>;
    quit(): void;
    getPath(name: 'userData'): string;
    getVersion(): string;
    addRecentDocument(path: string): void;
    on(event: 'second-instance', listener: (event: unknown, argv: string[]) => void): void;
    on(event: 'window-all-closed' | 'will-quit', listener: () => void): void;
    on(event: 'open-file', listener: (event: { preventDefault(): void }, path: string) => void): void;
  };
  BrowserWindow: new (options: BrowserWindowOptions) => BrowserWindow;
  ipcMain: IpcMainLike;
  Menu: {
    buildFromTemplate(template: MenuItemOptions[]): unknown;
    setApplicationMenu(menu: unknown): void;
  };
  dialog: {
    showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
    showSaveDialog(window: BrowserWindow, options: SaveDialogOptions): Promise<{ canceled: boolean; filePath?: string }>;
    showErrorBox(title: string, content: string): void;
  };
  protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: { standard?: boolean; secure?: boolean; supportFetchAPI?: boolean; stream?: boolean } }[]): void;
    handle(scheme: string, handler: (request: Request) => Promise<Response> | Response): void;
  };
}

export interface ElectronPreload {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: IpcRendererLike;
}
