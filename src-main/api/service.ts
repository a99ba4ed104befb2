// The one MaskLoop service: implements the contract for any transport (Electron IPC, browser-mode WebSocket).
import { createDispatcher, type Dispatch } from './dispatch.js';
import type { MaskLoopApi } from './contract.js';
import type { EventBus } from './event-bus.js';
import { appHandlers } from './handlers/app.js';
import { modelsHandlers } from './handlers/models.js';
import { projectsHandlers } from './handlers/projects.js';
import { notAvailable, unavailableGroup } from './handlers/unavailable.js';
import { ServiceContext, type ServiceOptions } from './service-context.js';

export type { ServiceHost, ServiceOptions } from './service-context.js';

/** An image's bytes as a browser can show them (JPEG, PNG or WebP). */
export interface DisplayImage {
  bytes: Buffer;
  mimeType: string;
}

export interface MaskLoopService {
  /** Validates and answers one request; never throws. */
  readonly dispatch: Dispatch;
  readonly events: EventBus;
  /** Serves the custom protocol (desktop) and the HTTP image route (browser mode). */
  readImageForDisplay(imageId: number): Promise<DisplayImage>;
  close(): Promise<void>;
}

export function createMaskLoopService(options: ServiceOptions): MaskLoopService {
  const context = new ServiceContext(options);
  const handlers: MaskLoopApi = {
    app: appHandlers(context),
    projects: projectsHandlers(context),
    images: unavailableGroup('images', 'the project store'),
    categories: unavailableGroup('categories', 'the project store'),
    annotations: unavailableGroup('annotations', 'the project store'),
    history: unavailableGroup('history', 'the project store'),
    embedding: unavailableGroup('embedding', 'the project store and the SAM model'),
    sam: unavailableGroup('sam', 'the SAM model'),
    models: modelsHandlers(context),
    training: unavailableGroup('training', 'the fine-tuning engine'),
    coco: unavailableGroup('coco', 'the project store'),
  };
  return {
    dispatch: createDispatcher(handlers, context.log),
    events: context.events,
    async readImageForDisplay() {
      throw notAvailable('the project store');
    },
    async close() {},
  };
}
