// The renderer's side of the contract, transport-agnostic: the Electron preload and the browser's
// WebSocket each provide an ApiTransport; createApiClient turns it into the typed Promise API.
// Imports only the contract, so it bundles into the renderer and the preload alike.
import {
  contract,
  imageDisplayPath,
  type ApiError,
  type ApiResult,
  type EventName,
  type GroupName,
  type MaskLoopClientApi,
  type MaskLoopEvents,
  type MethodName,
} from './contract.js';

/** What a transport must do; both transports move `{method, params}` in and `ApiResult`s and events out. */
export interface ApiTransport {
  invoke(method: MethodName, params: unknown): Promise<ApiResult<unknown>>;
  /** Calls `listener` for every pushed event; returns the unsubscribe function. */
  subscribe(listener: (event: EventName, payload: unknown) => void): () => void;
  /** Turns `imageDisplayPath(...)` into a URL the page can load (custom protocol or tokened HTTP route). */
  imageUrl(displayPath: string): string;
}

/** A failed request, rejected by the client: `code` for the program, `message` for the person. */
export class ApiCallError extends Error {
  readonly code: string;
  readonly method: MethodName;

  constructor(method: MethodName, error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.method = method;
  }
}

export type MaskLoopClient = MaskLoopClientApi & {
  on<E extends EventName>(event: E, listener: (payload: MaskLoopEvents[E]) => void): () => void;
  /** The URL to show an image (the content hash as version, so a relinked file is not served stale). */
  imageUrl(imageId: number, contentHash: string): string;
};

export function createApiClient(transport: ApiTransport): MaskLoopClient {
  const groups = Object.fromEntries(
    (Object.keys(contract) as GroupName[]).map((group) => [
      group,
      Object.fromEntries(
        Object.keys(contract[group]).map((name) => {
          const method = `${group}.${name}` as MethodName;
          return [name, (input: unknown = {}) => call(transport, method, input)];
        }),
      ),
    ]),
  ) as MaskLoopClientApi;
  return {
    ...groups,
    on(event, listener) {
      return transport.subscribe((name, payload) => {
        if (name === event) listener(payload as MaskLoopEvents[typeof event]);
      });
    },
    imageUrl: (imageId, contentHash) => transport.imageUrl(imageDisplayPath(imageId, contentHash)),
  };
}

async function call(transport: ApiTransport, method: MethodName, input: unknown): Promise<unknown> {
  const result = await transport.invoke(method, input);
  if (!result.ok) throw new ApiCallError(method, result.error);
  return result.value;
}
