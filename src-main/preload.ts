// The preload of the sandboxed window: exposes exactly the contract's requests and events as `window.maskloop`
// (an ApiTransport; the renderer wraps it with createApiClient). Bundled to CommonJS by desktop-build.ts.
import { BRIDGE_KEY, createIpcTransport } from './api/ipc.js';
import type { ElectronPreload } from './electron-api.js';

// A sandboxed preload is CommonJS with a restricted `require` that provides 'electron'.
const { contextBridge, ipcRenderer } = require('electron') as ElectronPreload;

contextBridge.exposeInMainWorld(BRIDGE_KEY, createIpcTransport(ipcRenderer));
