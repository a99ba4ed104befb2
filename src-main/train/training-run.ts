// One fine-tune as the training worker runs it: engine, samples, held-out IoU before, the training loop, IoU after, weights out.
import { isMaskLoopError, MaskLoopError } from '../errors.js';
import { openCheckpoint } from '../sam/checkpoint/open-checkpoint.js';
import type { StateDict } from '../sam/checkpoint/state-dict.js';
import { Project } from '../store/project.js';
import { decodeDecoderWeights, encodeDecoderWeights } from './decoder-weights-codec.js';
import { exportDecoderWeights, loadDecoderVariables, type DecoderVariables } from './decoder-weights.js';
import { loadTrainingEngine, type Tf } from './engine.js';
import { evaluateHeldOut, type EmbeddingLookup, type HeldOutMetrics } from './evaluate.js';
import { MIN_ANNOTATIONS } from './held-out-split.js';
import { prepareAnnotation, type TrainingAnnotation } from './samples.js';
import { runTrainingLoop } from './trainer.js';
import { STOP_REQUESTED, type TrainingJob, type WorkerMessage } from './training-job.js';

/** Decoded embeddings kept at hand (4 MiB each for SAM): enough for a batch and the image of the next sample. */
const EMBEDDING_CACHE_ENTRIES = 8;

/** Runs `job` to its end, reporting through `send`; every outcome (finished, stopped, failed) is one final message. */
export async function runTrainingJob(job: TrainingJob, send: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void): Promise<void> {
  const stopFlag = new Int32Array(job.stopFlag);
  const stopRequested = (): boolean => Atomics.load(stopFlag, 0) === STOP_REQUESTED;
  let project: Project | undefined;
  try {
    project = Project.open(job.projectFile);
    const engine = await loadTrainingEngine(job.engine);
    send({ type: 'engine', name: engine.name, description: engine.description });
    const { tf } = engine;

    send({ type: 'stage', stage: 'loading' });
    const embeddings = new EmbeddingReader(project, job.encoderId);
    const unreadable = embeddings.checkAll([...job.train, ...job.heldOut], (message) => send({ type: 'notice', message }));
    const usable = (annotations: TrainingAnnotation[]) => annotations.filter((a) => !unreadable.has(a.imageHash));
    const train = usable(job.train).map(prepareAnnotation);
    const heldOut = usable(job.heldOut).map(prepareAnnotation);
    const total = job.train.length + job.heldOut.length;
    if (train.length === 0 || heldOut.length === 0 || train.length + heldOut.length < MIN_ANNOTATIONS) {
      throw new MaskLoopError(
        'TRAINING',
        `Only ${train.length + heldOut.length} of ${total} masks have a readable cached embedding (${train.length} to train on, ${heldOut.length} held out), ` +
          'too few to fine-tune; train again: the missing images are embedded first.',
      );
    }
    const checkpoint = await openCheckpoint(job.checkpoint);
    try {
      const evaluate = (model: DecoderVariables, label: string): HeldOutMetrics | undefined => {
        send({ type: 'stage', stage: 'evaluating', detail: label });
        return evaluateHeldOut(tf, model, heldOut, embeddings.lookup, stopRequested);
      };
      const base = withModel(tf, checkpoint, 'heads', (model) => evaluate(model, 'the checkpoint decoder'));
      const startWeights = job.startVersionId === null ? checkpoint : decodeDecoderWeights(project.models.weights(job.startVersionId), `decoder version ${job.startVersionId}`);
      const outcome = withModel(tf, startWeights, job.settings.trainable, (model) => {
        const start = job.startVersionId === null ? null : evaluate(model, `decoder version ${job.startVersionId}`);
        if (!base || start === undefined || stopRequested()) return undefined;
        send({ type: 'stage', stage: 'training' });
        const loop = runTrainingLoop(tf, model, train, embeddings.lookup, job.settings, {
          onProgress: (progress) => send({ type: 'progress', progress }),
          shouldStop: stopRequested,
        });
        if (loop.outcome === 'stopped') return undefined;
        const result = evaluate(model, 'the new decoder');
        if (!result) return undefined;
        return { heldOut: { base, start, result }, finalLoss: loop.finalLoss, weights: encodeDecoderWeights(exportDecoderWeights(model)) };
      });
      if (!outcome) {
        send({ type: 'stopped' });
        return;
      }
      const skippedAnnotationIds = [...job.train, ...job.heldOut].filter((a) => unreadable.has(a.imageHash)).map((a) => a.annotationId);
      send({ type: 'finished', ...outcome, skippedAnnotationIds }, [outcome.weights.buffer as ArrayBuffer]);
    } finally {
      checkpoint.close();
    }
  } catch (error) {
    send({
      type: 'failed',
      code: isMaskLoopError(error) ? error.code : 'TRAINING',
      message: isMaskLoopError(error) ? error.message : `Training stopped on an unexpected error: ${error instanceof Error ? error.message : String(error)}`,
    });
  } finally {
    project?.close();
  }
}

/** Loads the decoder from `weights`, runs `use`, and releases its tensors whatever happens. */
function withModel<T>(tf: Tf, weights: StateDict, trainable: 'heads' | 'decoder', use: (model: DecoderVariables) => T): T {
  const model = loadDecoderVariables(tf, weights, { trainable });
  try {
    return use(model);
  } finally {
    model.dispose();
  }
}

/** The project's cached embeddings for one encoder, a few kept decoded; the fine-tuner made sure they exist. */
class EmbeddingReader {
  private readonly recent = new Map<string, Float32Array>();

  constructor(
    private readonly project: Project,
    private readonly encoderId: string,
  ) {}

  /**
   * Reads every image's embedding once; the ones missing or damaged (a damaged one is removed by the cache, and will
   * be computed again by the next fine-tune) are reported and returned, so their annotations can be left out.
   */
  checkAll(annotations: readonly TrainingAnnotation[], notice: (message: string) => void): Set<string> {
    const unreadable = new Set<string>();
    for (const { imageHash, imageId } of annotations) {
      if (unreadable.has(imageHash) || this.recent.has(imageHash)) continue;
      const read = this.project.embeddings.read(imageHash, this.encoderId);
      if (read.kind === 'hit') {
        this.remember(imageHash, read.embedding);
        continue;
      }
      unreadable.add(imageHash);
      const why = read.kind === 'corrupt' ? `was damaged (${read.problem}) and has been removed` : 'is no longer cached';
      notice(`The embedding of image ${imageId} ${why}; its masks are left out of this fine-tune and it will be embedded again next time.`);
    }
    return unreadable;
  }

  readonly lookup: EmbeddingLookup = (imageHash) => {
    const cached = this.recent.get(imageHash);
    if (cached) return cached;
    const read = this.project.embeddings.read(imageHash, this.encoderId);
    if (read.kind !== 'hit') {
      throw new MaskLoopError('TRAINING', `An image's cached embedding disappeared while training (${read.kind}); train again to embed it anew.`);
    }
    this.remember(imageHash, read.embedding);
    return read.embedding;
  };

  private remember(imageHash: string, embedding: Float32Array): void {
    this.recent.set(imageHash, embedding);
    if (this.recent.size > EMBEDDING_CACHE_ENTRIES) this.recent.delete(this.recent.keys().next().value!);
  }
}
