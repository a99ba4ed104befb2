// Embeds a whole project in the background, one image at a time, with progress, ETA, cancel and resume after restart.
import { EventEmitter } from 'node:events';
import { MaskLoopError } from '../errors.js';
import type { Project } from './project.js';

/** Computes one image's embedding from its file (SAM's image encoder); must honour `signal` where it can. */
export type EmbedFunction = (imagePath: string, signal: AbortSignal) => Promise<Float32Array>;

/** SAM's image embedding for every variant: image_embeddings float32[1,256,64,64]. */
export const SAM_EMBEDDING_SHAPE: readonly number[] = [1, 256, 64, 64];
const DEFAULT_MAX_ATTEMPTS = 3;

export interface EmbedQueueOptions {
  /** Identity of the encoder (e.g. its checkpoint's hash): embeddings are cached per encoder. */
  encoderId: string;
  embed: EmbedFunction;
  embeddingShape?: readonly number[];
  /** Attempts per image (a failed one is retried at once); after the last it stays failed until enqueueMissing again. */
  maxAttempts?: number;
}

export interface EmbedProgress {
  /** Images embedded in this run. */
  done: number;
  /** done + failed + still queued: grows if images are queued while running. */
  total: number;
  /** Images that failed for good in this run. */
  failed: number;
  currentImageId: number | null;
  /** Estimated time left from this run's average per image; null until one image is done. */
  etaMs: number | null;
}

export interface EmbedFailure {
  imageId: number;
  error: string;
  /** false once the image has used up its attempts. */
  willRetry: boolean;
}

export interface EmbedRunResult {
  done: number;
  failed: number;
  cancelled: boolean;
}

interface EmbedQueueEvents {
  progress: [EmbedProgress];
  failure: [EmbedFailure];
}

export class EmbedQueue extends EventEmitter<EmbedQueueEvents> {
  private readonly shape: readonly number[];
  private readonly maxAttempts: number;
  private abort: AbortController | null = null;

  constructor(
    private readonly project: Project,
    private readonly options: EmbedQueueOptions,
  ) {
    super();
    this.shape = options.embeddingShape ?? SAM_EMBEDDING_SHAPE;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  /** Queues every image on disk that has no cached embedding from this encoder; returns how many were queued. */
  enqueueMissing(): number {
    return this.project.embedJobs.enqueueMissing(this.options.encoderId);
  }

  get running(): boolean {
    return this.abort !== null;
  }

  /** Images still queued (pending, or running when a previous process stopped). */
  remaining(): number {
    const counts = this.project.embedJobs.counts(this.options.encoderId);
    return counts.pending + counts.running;
  }

  /** Stops after the current image (whose embed call is signalled); the rest stays queued for the next run. */
  cancel(): void {
    this.abort?.abort();
  }

  /** Works through the queue until it is empty or cancelled. */
  async run(): Promise<EmbedRunResult> {
    if (this.abort) throw new MaskLoopError('INVALID_ARGUMENT', 'The embedding queue is already running.');
    const abort = new AbortController();
    this.abort = abort;
    const jobs = this.project.embedJobs;
    const encoderId = this.options.encoderId;
    const started = performance.now();
    const result: EmbedRunResult = { done: 0, failed: 0, cancelled: false };
    const report = (currentImageId: number | null) => {
      const queued = this.remaining();
      const perImage = result.done > 0 ? (performance.now() - started) / result.done : null;
      this.emit('progress', {
        done: result.done,
        total: result.done + result.failed + queued,
        failed: result.failed,
        currentImageId,
        etaMs: perImage === null ? null : perImage * queued,
      });
    };
    try {
      jobs.resumeInterrupted(encoderId);
      report(null);
      for (let job = jobs.nextPending(encoderId); job && !abort.signal.aborted; job = jobs.nextPending(encoderId)) {
        jobs.markRunning(job.id);
        this.project.images.markEmbedding(job.imageId);
        report(job.imageId);
        const outcome = await this.embedOne(job.imageId, abort.signal);
        if (outcome.kind === 'cancelled') {
          jobs.returnToPending(job.id);
          this.project.images.recomputeStatus(job.imageId);
        } else if (outcome.kind === 'failed') {
          const after = jobs.recordFailure(job.id, outcome.error, this.maxAttempts);
          this.project.images.recomputeStatus(job.imageId);
          const willRetry = after.state !== 'failed';
          if (!willRetry) result.failed++;
          this.emit('failure', { imageId: job.imageId, error: outcome.error, willRetry });
        } else {
          jobs.complete(job.id);
          result.done++;
        }
        report(null);
      }
      result.cancelled = abort.signal.aborted;
      return result;
    } finally {
      this.abort = null;
    }
  }

  private async embedOne(imageId: number, signal: AbortSignal): Promise<{ kind: 'embedded' | 'cancelled' } | { kind: 'failed'; error: string }> {
    const image = this.project.images.require(imageId);
    if (this.project.embeddings.has(image.contentHash, this.options.encoderId)) return { kind: 'embedded' };
    if (signal.aborted) return { kind: 'cancelled' };
    try {
      // An embedding that arrives after cancel is kept: the work is done.
      const embedding = await this.options.embed(image.absolutePath, signal);
      this.project.embeddings.put(image.contentHash, this.options.encoderId, embedding, this.shape);
      return { kind: 'embedded' };
    } catch (error) {
      if (signal.aborted) return { kind: 'cancelled' };
      return { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
  }
}
