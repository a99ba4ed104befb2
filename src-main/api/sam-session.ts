// The service's SAM state: the loaded model and the decoder it runs (the checkpoint's own or the project's
// fine-tuned version), each image's embedding (from the project's cache or computed once), and a predictor per
// recently used image holding its previous low-res logits.
import { MaskLoopError } from '../errors.js';
import { ImagePredictor } from '../sam/predictor.js';
import { SamModel, type ImageEmbedding } from '../sam/sam-model.js';
import { getPreprocessShape } from '../sam/transforms.js';
import { SAM_EMBEDDING_SHAPE, type EmbedFunction } from '../store/embed-queue.js';
import type { ImageRecord } from '../store/images.js';
import type { Project } from '../store/project.js';
import { activateDecoder, applyActiveDecoder, type DecoderVersionSummary } from '../train/decoder-versions.js';
import { EmbedWorker } from './embed-worker-client.js';

/** Predictors kept (each holds a 4 MiB embedding): the images an annotator moves between. */
const PREDICTORS_KEPT = 8;

export class SamSession {
  private model: SamModel | null = null;
  private modelCheckpoint: string | null = null;
  private loading: Promise<SamModel> | null = null;
  /** Runs the image encoder off the main thread, on the same checkpoint as `model`. */
  private worker: EmbedWorker | null = null;
  private readonly predictors = new Map<number, ImagePredictor>();
  private readonly embedding = new Map<string, Promise<Float32Array>>();
  /**
   * The decoder `model` runs: null for the checkpoint's own, else a project's version. Only the main thread's model
   * decodes; the embedding worker's model runs the encoder alone, so a swapped decoder leaves embeddings valid.
   */
  private decoderInUse: { projectFile: string; versionId: number } | null = null;
  /** Decoder swaps run one at a time. */
  private decoderSwaps: Promise<unknown> = Promise.resolve();

  constructor(
    /** The checkpoint to load on first use; null until one is added. */
    private readonly activeCheckpoint: () => string | null,
    private readonly modelCacheDir?: string,
  ) {}

  get loaded(): SamModel | null {
    return this.model;
  }

  /** The checkpoint file the loaded model came from; null while none is loaded. */
  get checkpoint(): string | null {
    return this.modelCheckpoint;
  }

  /** Loads (building its ONNX graphs on first use) and switches to a checkpoint; a file that is not SAM's throws. */
  async load(checkpointPath: string): Promise<SamModel> {
    const model = await SamModel.load({ checkpoint: checkpointPath }, { cacheDir: this.modelCacheDir });
    this.model = model;
    this.modelCheckpoint = checkpointPath;
    this.decoderInUse = null;
    await this.worker?.terminate();
    this.worker = null;
    this.forgetImages();
    return model;
  }

  async requireModel(): Promise<SamModel> {
    if (this.model) return this.model;
    const checkpoint = this.activeCheckpoint();
    if (!checkpoint) {
      throw new MaskLoopError('NOT_FOUND', 'No SAM model yet: add a checkpoint file (.pth or .safetensors) or download an official one.');
    }
    this.loading ??= this.load(checkpoint).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Computes an image's embedding with the loaded model, on the worker (the unit of work the embedding queue runs). */
  async embedder(): Promise<EmbedFunction> {
    await this.requireModel();
    this.worker ??= new EmbedWorker({ checkpoint: this.modelCheckpoint!, cacheDir: this.modelCacheDir });
    return this.worker.embed;
  }

  /** The image's embedding: from the project's cache, else computed now (once, however many ask) and cached. */
  async embeddingOf(project: Project, image: ImageRecord): Promise<ImageEmbedding> {
    if (image.status === 'missing') {
      throw new MaskLoopError('FILE_NOT_FOUND', `${image.fileName} is missing from ${image.absolutePath}: relink the image to its new folder.`);
    }
    const model = await this.requireModel();
    const key = `${model.id}:${image.contentHash}`;
    let pending = this.embedding.get(key);
    if (!pending) {
      pending = this.cachedOrComputed(project, image, model).finally(() => this.embedding.delete(key));
      this.embedding.set(key, pending);
    }
    return { data: await pending, inputSize: getPreprocessShape(image.height, image.width), originalSize: [image.height, image.width] };
  }

  isEmbedding(model: SamModel, image: ImageRecord): boolean {
    return this.embedding.has(`${model.id}:${image.contentHash}`);
  }

  /** The image's predictor (previous logits included); the least recently used one beyond the limit is dropped. */
  async predictorFor(project: Project, image: ImageRecord): Promise<ImagePredictor> {
    const existing = this.predictors.get(image.id);
    if (existing && existing.model === this.model) {
      await this.syncDecoder(project, existing.model);
      this.predictors.delete(image.id);
      this.predictors.set(image.id, existing);
      return existing;
    }
    const embedding = await this.embeddingOf(project, image);
    const model = await this.requireModel();
    await this.syncDecoder(project, model);
    const predictor = new ImagePredictor(model, embedding);
    this.predictors.set(image.id, predictor);
    for (const oldest of this.predictors.keys()) {
      if (this.predictors.size <= PREDICTORS_KEPT) break;
      this.predictors.delete(oldest);
    }
    return predictor;
  }

  /** Makes the model run the project's active decoder version (or the checkpoint's own when none is active); swaps only when it differs. */
  async syncDecoder(project: Project, model: SamModel): Promise<void> {
    const wanted = project.models.active('decoder')?.id ?? null;
    const inUse = this.decoderInUse;
    if (inUse === null ? wanted === null : inUse.projectFile === project.file && inUse.versionId === wanted) return;
    await this.swapDecoder(async () => {
      if (wanted === null) {
        await activateDecoder(project, model, null, { checkpoint: this.requireCheckpoint() });
        return null;
      }
      return (await applyActiveDecoder(project, model)) ?? null;
    }, project);
  }

  /** Makes `versionId` (null: the checkpoint's own decoder) the project's decoder and the running model's, without a restart. */
  async useDecoder(project: Project, versionId: number | null): Promise<DecoderVersionSummary | null> {
    const model = await this.requireModel();
    return this.swapDecoder(() => activateDecoder(project, model, versionId, { checkpoint: this.requireCheckpoint() }), project);
  }

  /** A fine-tune swapped its new version into the model (src-main/train/fine-tune.ts does that itself). */
  noteDecoderSwapped(project: Project, versionId: number): void {
    this.decoderInUse = { projectFile: project.file, versionId };
  }

  private swapDecoder<T extends DecoderVersionSummary | null>(swap: () => Promise<T>, project: Project): Promise<T> {
    const swapped = this.decoderSwaps.then(swap).then((version) => {
      this.decoderInUse = version && { projectFile: project.file, versionId: version.id };
      return version;
    });
    this.decoderSwaps = swapped.catch(() => undefined);
    return swapped;
  }

  private requireCheckpoint(): string {
    if (!this.modelCheckpoint) throw new MaskLoopError('NOT_FOUND', 'No SAM model is loaded: add or choose a checkpoint first.');
    return this.modelCheckpoint;
  }

  /** After a project closes or the model changes: no image state may outlive them. */
  forgetImages(): void {
    this.predictors.clear();
  }

  async close(): Promise<void> {
    this.forgetImages();
    await this.worker?.terminate();
    this.worker = null;
  }

  private async cachedOrComputed(project: Project, image: ImageRecord, model: SamModel): Promise<Float32Array> {
    const cached = project.embeddings.get(image.contentHash, model.id);
    if (cached) return cached;
    project.images.markEmbedding(image.id);
    try {
      const data = await (await this.embedder())(image.absolutePath, new AbortController().signal);
      project.embeddings.put(image.contentHash, model.id, data, SAM_EMBEDDING_SHAPE);
      return data;
    } finally {
      project.images.recomputeStatus(image.id);
    }
  }
}
