// Electron IPC for the contract: the main-process binding and the preload's transport, over narrow
// local interfaces of ipcMain/ipcRenderer (so this file needs no Electron and is tested without it).
import type { ApiTransport } from './client.js';
import { APP_PROTOCOL, eventNames, listMethods, type ApiResult, type EventName, type MethodName } from './contract.js';
import type { MaskLoopService } from './service.js';

export const INVOKE_CHANNEL = 'maskloop:invoke';
export const EVENT_CHANNEL = 'maskloop:event';
/** The name under which the preload exposes the transport: `window.maskloop`. */
export const BRIDGE_KEY = 'maskloop';

export interface IpcInvokeEvent {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
}

export interface WebContentsLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export interface IpcBinding {
  /** Starts pushing events to this window's renderer (one window at a time). */
  attach(webContents: WebContentsLike): void;
  unbind(): void;
}

/** Answers the renderer's requests with the service; requests from any other sender are refused. */
export function bindServiceToIpc(ipcMain: IpcMainLike, service: MaskLoopService, isTrustedFrame: (url: string) => boolean): IpcBinding {
  let target: WebContentsLike | null = null;
  ipcMain.handle(INVOKE_CHANNEL, async (event, method, params): Promise<ApiResult<unknown>> => {
    if (target === null || event.sender.id !== target.id || !event.senderFrame || !isTrustedFrame(event.senderFrame.url)) {
      return { ok: false, error: { code: 'FORBIDDEN', message: 'Requests are only accepted from the MaskLoop window.' } };
    }
    return service.dispatch(String(method), params);
  });
  const unsubscribe = service.events.subscribe((event, payload) => {
    if (target && !target.isDestroyed()) target.send(EVENT_CHANNEL, { event, payload });
  });
  return {
    attach(webContents) {
      target = webContents;
    },
    unbind() {
      unsubscribe();
      ipcMain.removeHandler(INVOKE_CHANNEL);
    },
  };
}

/** The preload's transport: only the contract's methods and events pass. */
export function createIpcTransport(ipcRenderer: IpcRendererLike): ApiTransport {
  const methods = new Set<string>(listMethods().map(({ method }) => method));
  const events = new Set<string>(eventNames);
  return {
    async invoke(method: MethodName, params: unknown) {
      if (!methods.has(method)) return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `"${method}" is not a MaskLoop request.` } };
      return (await ipcRenderer.invoke(INVOKE_CHANNEL, method, params)) as ApiResult<unknown>;
    },
    subscribe(listener) {
      const forward = (_event: unknown, message: unknown) => {
        const { event, payload } = message as { event: string; payload: unknown };
        if (events.has(event)) listener(event as EventName, payload);
      };
      ipcRenderer.on(EVENT_CHANNEL, forward);
      return () => ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    },
    imageUrl: (displayPath) => `${APP_PROTOCOL}://app/${displayPath}`,
  };
}
