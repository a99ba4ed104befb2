// The one MaskLoop service: implements the contract for any transport (Electron IPC, browser-mode WebSocket).
import type { MaskLoopApi } from './contract.js';
import { createDispatcher, type Dispatch } from './dispatch.js';
import type { EventBus } from './event-bus.js';
import { annotationsHandlers } from './handlers/annotations.js';
import { appHandlers } from './handlers/app.js';
import { categoriesHandlers } from './handlers/categories.js';
import { cocoHandlers } from './handlers/coco.js';
import { embeddingHandlers } from './handlers/embedding.js';
import { historyHandlers } from './handlers/history.js';
import { imagesHandlers, readImageForDisplay } from './handlers/images.js';
import { modelsHandlers } from './handlers/models.js';
import { projectsHandlers } from './handlers/projects.js';
import { samHandlers } from './handlers/sam.js';
import { trainingHandlers } from './handlers/training.js';
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
  /** Stops background work and closes the project. */
  close(): Promise<void>;
}

export function createMaskLoopService(options: ServiceOptions): MaskLoopService {
  const context = new ServiceContext(options);
  const handlers: MaskLoopApi = {
    app: appHandlers(context),
    projects: projectsHandlers(context),
    images: imagesHandlers(context),
    categories: categoriesHandlers(context),
    annotations: annotationsHandlers(context),
    history: historyHandlers(context),
    embedding: embeddingHandlers(context),
    sam: samHandlers(context),
    models: modelsHandlers(context),
    training: trainingHandlers(context),
    coco: cocoHandlers(context),
  };
  const dispatch = createDispatcher(handlers, context.log);
  return {
    // In automatic mode, every change of annotations (undo and redo included) may start a fine-tune.
    async dispatch(method, params) {
      const result = await dispatch(method, params);
      if (result.ok && (method.startsWith('annotations.') || method.startsWith('history.'))) context.training.afterAnnotationChange();
      return result;
    },
    events: context.events,
    readImageForDisplay: (imageId) => readImageForDisplay(context, imageId),
    async close() {
      await context.training.stop();
      if (context.project) context.setProject(null);
      await context.sam.close();
    },
  };
}
