// The main thread's handle on the embedding worker: embed(imagePath) resolves with the embedding,
// while the event loop stays free for requests (predict, progress, the window).
import { Worker } from 'node:worker_threads';
import { MaskLoopError, type MaskLoopErrorCode } from '../errors.js';
import type { EmbedFunction } from '../store/embed-queue.js';

export interface EmbedWorkerSetup {
  checkpoint: string;
  cacheDir?: string;
}

export interface EmbedWorkerRequest {
  id: number;
  imagePath: string;
}

export type EmbedWorkerReply = { id: number; data: Float32Array } | { id: number; error: { code: MaskLoopErrorCode; message: string } };

/** Bundled (dist-main/), the worker is embed-worker.js beside main.js; run from source, the .ts file beside this one. */
function startWorker(setup: EmbedWorkerSetup): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./embed-worker.js', import.meta.url), { workerData: setup });
  // Worker threads do not inherit tsx's loader hooks, so the worker registers them before importing its module.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./embed-worker.ts', import.meta.url).href);
  const bootstrap = `import(${tsx}).then(({ register }) => { register(); return import(${entry}); })`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

export class EmbedWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (data: Float32Array) => void; reject: (error: Error) => void }>();
  /** Why the worker is gone, once it is. */
  private stopped: string | null = null;

  constructor(setup: EmbedWorkerSetup) {
    this.worker = startWorker(setup);
    // The owner terminates it; an idle worker must not keep the process alive on its own.
    this.worker.unref();
    this.worker.on('message', (reply: EmbedWorkerReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if ('data' in reply) waiting?.resolve(reply.data);
      else waiting?.reject(new MaskLoopError(reply.error.code, reply.error.message));
    });
    this.worker.on('error', (error) => this.failAll(`The embedding worker stopped: ${error.message}`));
    this.worker.on('exit', () => this.failAll('The embedding worker has exited.'));
  }

  /** The EmbedFunction the embedding queue and SamSession use. Cancel cannot stop a running encoder pass. */
  readonly embed: EmbedFunction = (imagePath) =>
    new Promise((resolve, reject) => {
      if (this.stopped) return reject(new MaskLoopError('ONNX_RUNTIME', this.stopped));
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, imagePath } satisfies EmbedWorkerRequest);
    });

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(message: string): void {
    this.stopped ??= message;
    for (const { reject } of this.pending.values()) reject(new MaskLoopError('ONNX_RUNTIME', message));
    this.pending.clear();
  }
}
