// embedding.*: one image's embedding now (ahead of everything), or the whole project in the background.
import { EmbedQueue, type EmbedProgress } from '../../store/embed-queue.js';
import type { EmbeddingQueueStatus, EmbeddingStatus, MaskLoopApi } from '../contract.js';
import type { ServiceContext } from '../service-context.js';

export function embeddingHandlers(context: ServiceContext): MaskLoopApi['embedding'] {
  let last: EmbedProgress | null = null;

  function queueStatus(): EmbeddingQueueStatus {
    const queue = context.embedQueue;
    if (!queue) return { running: false, done: 0, total: 0 };
    return { running: queue.running, done: last?.done ?? 0, total: last?.total ?? queue.remaining() };
  }

  async function status(imageId: number): Promise<EmbeddingStatus> {
    const project = context.requireProject();
    const image = project.images.require(imageId);
    const model = await context.sam.requireModel();
    if (project.embeddings.has(image.contentHash, model.id)) return { imageId, state: 'ready' };
    const running = image.status === 'embedding' || context.sam.isEmbedding(model, image);
    return { imageId, state: running ? 'running' : 'missing' };
  }

  /** Progress as the renderer wants it: which image changed and its status now. A replaced queue's events are dropped. */
  function forward(queue: EmbedQueue): void {
    let started: number | null = null;
    queue.on('progress', (progress) => {
      if (context.embedQueue !== queue) return;
      last = progress;
      const imageId = progress.currentImageId ?? started;
      started = progress.currentImageId;
      const imageStatus = imageId === null ? null : (context.project?.images.get(imageId)?.status ?? null);
      const { done, total, failed, etaMs } = progress;
      context.events.emit('embedding.progress', { done, total, failed, etaMs, imageId, imageStatus });
    });
    queue.on('failure', ({ imageId, error, willRetry }) => {
      if (!willRetry && context.embedQueue === queue) context.events.emit('error', { code: 'EMBEDDING', message: `Image ${imageId} could not be embedded: ${error}` });
    });
  }

  return {
    async status({ imageId }) {
      return status(imageId);
    },
    async ensure({ imageId }) {
      const project = context.requireProject();
      await context.sam.embeddingOf(project, project.images.require(imageId));
      return { imageId, state: 'ready' };
    },
    async startQueue() {
      const project = context.requireProject();
      const model = await context.sam.requireModel();
      if (context.embedQueue?.running) return queueStatus();
      const queue = new EmbedQueue(project, { encoderId: model.id, embed: await context.sam.embedder() });
      context.embedQueue = queue;
      last = null;
      forward(queue);
      queue.enqueueMissing();
      // A run cut short by closing its project fails on the closed file; that is not news for anyone.
      queue.run().catch((error: Error) => {
        if (context.embedQueue === queue) context.events.emit('error', { code: 'EMBEDDING', message: `The embedding queue stopped: ${error.message}` });
      });
      return queueStatus();
    },
    async cancelQueue() {
      context.embedQueue?.cancel();
      return queueStatus();
    },
    async queueStatus() {
      return queueStatus();
    },
  };
}
