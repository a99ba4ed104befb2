// Browser mode's wire format and its client transport; works with the browser's WebSocket and with `ws`.
// Requests `{id, method, params}` -> replies `{id, result: ApiResult}`; pushes `{event, payload}`.
import type { ApiTransport } from './client.js';
import type { ApiResult, EventName, MethodName } from './contract.js';

export interface WireRequest {
  id: number;
  method: string;
  params: unknown;
}

export type WireReply = { id: number; result: ApiResult<unknown> } | { event: EventName; payload: unknown };

/** The part of a WebSocket both the DOM's and `ws`'s implement. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: () => void): void;
}

const OPEN = 1;

/**
 * A transport over an OPEN WebSocket. `imageBase` is the server's origin and `token` its secret
 * (both from the page's own URL in a browser).
 */
export function createWebSocketTransport(socket: WebSocketLike, options: { imageBase: string; token: string }): ApiTransport {
  let nextId = 1;
  const pending = new Map<number, (result: ApiResult<unknown>) => void>();
  const listeners = new Set<(event: EventName, payload: unknown) => void>();

  socket.addEventListener('message', ({ data }) => {
    const reply = JSON.parse(String(data)) as WireReply;
    if ('event' in reply) {
      for (const listener of listeners) listener(reply.event, reply.payload);
      return;
    }
    pending.get(reply.id)?.(reply.result);
    pending.delete(reply.id);
  });
  socket.addEventListener('close', () => {
    for (const resolve of pending.values()) {
      resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'The connection to MaskLoop closed: reload the page.' } });
    }
    pending.clear();
  });

  return {
    invoke(method: MethodName, params: unknown) {
      if (socket.readyState !== OPEN) {
        return Promise.resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'Not connected to MaskLoop: reload the page.' } });
      }
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        socket.send(JSON.stringify({ id, method, params } satisfies WireRequest));
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    imageUrl(displayPath) {
      return `${options.imageBase}/${displayPath}&token=${encodeURIComponent(options.token)}`;
    },
  };
}
