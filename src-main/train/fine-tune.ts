// The fine-tuner the app and the CLI call: prepares a project's samples, trains on a worker thread, stores the new
// decoder version, activates it when it is better, and swaps it into the running SamModel.
import path from 'node:path';
import { MaskLoopError } from '../errors.js';
import { loadRgbImage } from '../sam/image-io.js';
import { fileSha256 } from '../sam/model-cache.js';
import type { SamModel } from '../sam/sam-model.js';
import { SAM_EMBEDDING_SHAPE } from '../store/embed-queue.js';
import type { JsonObject } from '../store/json-columns.js';
import type { Project } from '../store/project.js';
import { automaticSettings, type TrainingRequest, type TrainingSettings } from './auto-settings.js';
import { decodeDecoderWeights } from './decoder-weights-codec.js';
import { requireDecoderForModel, swapInDecoder } from './decoder-versions.js';
import type { EngineName, EnginePreference } from './engine.js';
import { splitHeldOut, splitSeedFor, storeSplitSeed } from './held-out-split.js';
import { collectTrainingAnnotations, type SkippedAnnotation, type TrainingAnnotation } from './samples.js';
import type { TrainingProgress } from './trainer.js';
import { STOP_REQUESTED, type FineTuneStage, type HeldOutComparison, type TrainingJob } from './training-job.js';
import { runTrainingWorker } from './training-worker-client.js';

export interface FineTuneOptions extends TrainingRequest {
  /** The SAM checkpoint file `model` was loaded from: the base decoder and the parent of the first version. */
  checkpoint: string;
  /** Activate the new version even when its held-out IoU is not better than the decoder in use. */
  forceActivate?: boolean;
  engine?: EnginePreference;
  /** How images without a cached embedding are embedded; defaults to `model.embed` on this thread. */
  embed?: (imagePath: string) => Promise<Float32Array>;
}

export type FineTuneEvent =
  | { type: 'stage'; stage: FineTuneStage; detail?: string }
  | { type: 'engine'; name: EngineName; description: string }
  | { type: 'progress'; progress: TrainingProgress }
  /** Something the user should know that does not stop the fine-tune (masks left out, images re-embedded). */
  | { type: 'notice'; message: string };

export interface FineTuneResult {
  outcome: 'completed' | 'cancelled';
  /** The training run row; null when cancelled before training started. */
  runId: number | null;
  versionId: number | null;
  activated: boolean;
  /** Held-out mean IoU of the decoder in use before (the active version, else the checkpoint's) and of the new one. */
  heldOutIoUBefore: number | null;
  heldOutIoUAfter: number | null;
  heldOut: HeldOutComparison | null;
  /** The TensorFlow.js engine that trained (see loadTrainingEngine); null when cancelled before it started. */
  engine: { name: EngineName; description: string } | null;
  settings: TrainingSettings | null;
  trainAnnotations: number;
  heldOutAnnotations: number;
  skipped: SkippedAnnotation[];
}

export interface FineTuneHandle {
  /** Stops within one training step; nothing is stored (the run is recorded as cancelled). */
  cancel(): void;
  /** Resolves when finished or cancelled; rejects with a MaskLoopError that says what went wrong. */
  done: Promise<FineTuneResult>;
}

/** Projects with a fine-tune under way, by file: one at a time per project. */
const running = new Set<string>();

export function isFineTuning(project: Project): boolean {
  return running.has(project.file);
}

/**
 * Starts a fine-tune of `model`'s decoder on `project`'s accepted annotations. Refusals (too few masks, a decoder in use
 * that belongs to another checkpoint, a fine-tune already running) reject `done` before anything is written.
 */
export function startFineTune(project: Project, model: SamModel, options: FineTuneOptions, onEvent: (event: FineTuneEvent) => void = () => {}): FineTuneHandle {
  const stopFlag = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const stop = new Int32Array(stopFlag);
  const cancelled = (): boolean => Atomics.load(stop, 0) === STOP_REQUESTED;
  const done = (async (): Promise<FineTuneResult> => {
    if (running.has(project.file)) throw new MaskLoopError('TRAINING', 'A fine-tune is already running for this project; wait for it to finish or cancel it.');
    running.add(project.file);
    try {
      return await fineTune(project, model, options, onEvent, stopFlag, cancelled);
    } finally {
      running.delete(project.file);
    }
  })();
  return { cancel: () => Atomics.store(stop, 0, STOP_REQUESTED), done };
}

async function fineTune(
  project: Project,
  model: SamModel,
  options: FineTuneOptions,
  onEvent: (event: FineTuneEvent) => void,
  stopFlag: SharedArrayBuffer,
  cancelled: () => boolean,
): Promise<FineTuneResult> {
  onEvent({ type: 'stage', stage: 'preparing' });
  await requireModelFromCheckpoint(model, options.checkpoint);
  const startVersion = requireDecoderForModel(project, model);
  const collected = collectTrainingAnnotations(project);
  const seed = splitSeedFor(project);
  let split = splitHeldOut(collected.usable, seed);
  const unembeddable = await embedMissing(project, model, [...split.train, ...split.heldOut], options, onEvent, cancelled);
  if (unembeddable.length > 0) split = splitHeldOut(collected.usable.filter((a) => !unembeddable.some((s) => s.annotationId === a.annotationId)), seed);
  const skipped = [...collected.skipped, ...unembeddable];
  const settings = automaticSettings(split.train.length, options);
  const summary = { trainAnnotations: split.train.length, heldOutAnnotations: split.heldOut.length, skipped, settings };
  if (cancelled()) return { ...summary, ...nothingDone, outcome: 'cancelled', runId: null };

  const run = project.trainingRuns.start({
    settings: runSettings(settings, options, model),
    baseModelId: startVersion?.id ?? null,
    historyCursor: project.history.latestId(),
  });
  try {
    const job: TrainingJob = {
      projectFile: project.file,
      encoderId: model.id,
      checkpoint: path.resolve(options.checkpoint),
      startVersionId: startVersion?.id ?? null,
      train: split.train,
      heldOut: split.heldOut,
      settings,
      engine: options.engine ?? 'auto',
      stopFlag,
    };
    // Set from the worker's first message; 'as' keeps TypeScript from narrowing it to null for the code below.
    let engine = null as FineTuneResult['engine'];
    const outcome = await runTrainingWorker(job, (event) => {
      if (event.type === 'engine') engine = { name: event.name, description: event.description };
      onEvent(event);
    });
    if (outcome.type === 'stopped') {
      project.trainingRuns.finish(run.id, { status: 'cancelled' });
      return { ...summary, ...nothingDone, outcome: 'cancelled', runId: run.id, engine };
    }
    onEvent({ type: 'stage', stage: 'saving' });
    const inUse = outcome.heldOut.start ?? outcome.heldOut.base;
    const better = outcome.heldOut.result.meanIoU > inUse.meanIoU;
    const metrics = versionMetrics(outcome.heldOut, inUse.meanIoU, outcome.finalLoss, settings, model, options.checkpoint, run.id, engine?.name ?? null);
    const version = project.transaction(() => {
      const parentId = startVersion?.id ?? checkpointRecordId(project, options.checkpoint, model);
      const stored = project.models.addDecoder({ name: `Fine-tune ${run.id}`, weights: outcome.weights, parentId, metrics });
      project.trainingRuns.finish(run.id, { status: 'succeeded', metrics, resultModelId: stored.id });
      storeSplitSeed(project, seed);
      return stored;
    });
    const activated = (better || options.forceActivate === true) && (await activateStored(project, model, version.id, outcome.weights, onEvent));
    return {
      ...summary,
      skipped: [...skipped, ...outcome.skippedAnnotationIds.map((annotationId) => ({ annotationId, reason: 'its image embedding could not be read' }))],
      outcome: 'completed',
      runId: run.id,
      versionId: version.id,
      activated,
      heldOutIoUBefore: inUse.meanIoU,
      heldOutIoUAfter: outcome.heldOut.result.meanIoU,
      heldOut: outcome.heldOut,
      engine,
    };
  } catch (error) {
    if (project.trainingRuns.require(run.id).status === 'running') {
      project.trainingRuns.finish(run.id, { status: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
    throw error;
  }
}

/** Swaps the stored version into the running model and marks it active; a failure leaves it stored and says so. */
async function activateStored(project: Project, model: SamModel, versionId: number, weights: Uint8Array, onEvent: (event: FineTuneEvent) => void): Promise<boolean> {
  try {
    await swapInDecoder(project, model, versionId, decodeDecoderWeights(weights, `decoder version ${versionId}`));
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    onEvent({ type: 'notice', message: `Decoder version ${versionId} was stored but could not be put in use (${reason}); activate it from the version list to try again.` });
    return false;
  }
}

const nothingDone = { versionId: null, activated: false, heldOutIoUBefore: null, heldOutIoUAfter: null, heldOut: null, engine: null } as const;

/** SamModel.id is `<variant>:<first 16 hex of the checkpoint's sha256>`: the checkpoint given must be the model's own. */
async function requireModelFromCheckpoint(model: SamModel, checkpoint: string): Promise<void> {
  if (!model.config) {
    throw new MaskLoopError('MODEL_MISMATCH', 'This model was loaded from ONNX files; load it from its SAM checkpoint to fine-tune its decoder.');
  }
  const sha256 = await fileSha256(checkpoint);
  if (!model.id.endsWith(`:${sha256.slice(0, 16)}`)) {
    throw new MaskLoopError('MODEL_MISMATCH', `${path.basename(checkpoint)} is not the checkpoint the running model (${model.name}) was loaded from; give that checkpoint.`);
  }
}

/**
 * Makes sure every image that training reads has a cached embedding from `model`'s encoder: missing ones are embedded
 * now, damaged ones (removed by the cache when read) embedded again. Images that cannot be embedded (file gone,
 * unreadable) are reported, and their annotations returned to be left out.
 */
async function embedMissing(
  project: Project,
  model: SamModel,
  annotations: readonly TrainingAnnotation[],
  options: FineTuneOptions,
  onEvent: (event: FineTuneEvent) => void,
  cancelled: () => boolean,
): Promise<SkippedAnnotation[]> {
  const embed = options.embed ?? (async (imagePath: string) => (await model.embed(await loadRgbImage(imagePath))).data);
  const images = new Map(annotations.map((a) => [a.imageId, a.imageHash]));
  const scratch = new Float32Array(SAM_EMBEDDING_SHAPE.reduce((product, dim) => product * dim, 1));
  const failed = new Set<number>();
  let embedded = 0;
  for (const [imageId, imageHash] of images) {
    if (cancelled()) break;
    const read = project.embeddings.read(imageHash, model.id, scratch);
    if (read.kind === 'hit') continue;
    if (read.kind === 'corrupt') onEvent({ type: 'notice', message: `The cached embedding of image ${imageId} was damaged (${read.problem}); embedding it again.` });
    onEvent({ type: 'stage', stage: 'embedding', detail: `image ${imageId} (${++embedded} so far)` });
    const image = project.images.require(imageId);
    try {
      project.embeddings.put(imageHash, model.id, await embed(image.absolutePath), SAM_EMBEDDING_SHAPE);
    } catch (error) {
      failed.add(imageId);
      onEvent({ type: 'notice', message: `Image ${imageId} (${image.fileName}) could not be embedded, so its masks are left out: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return annotations.filter((a) => failed.has(a.imageId)).map((a) => ({ annotationId: a.annotationId, reason: `image ${a.imageId} could not be embedded` }));
}

/** The checkpoint's row among the project's models (added on the first fine-tune): the first version's parent. */
function checkpointRecordId(project: Project, checkpoint: string, model: SamModel): number {
  const file = path.resolve(checkpoint);
  const known = project.models.list('checkpoint').find((record) => record.path === file);
  return (known ?? project.models.addCheckpoint({ name: path.basename(file), path: file, metrics: { encoderId: model.id } })).id;
}

function runSettings(settings: TrainingSettings, options: FineTuneOptions, model: SamModel): JsonObject {
  return { ...settings, promptMix: { ...settings.promptMix }, checkpoint: path.resolve(options.checkpoint), encoderId: model.id, forceActivate: options.forceActivate === true };
}

function versionMetrics(
  heldOut: HeldOutComparison,
  before: number,
  finalLoss: number,
  settings: TrainingSettings,
  model: SamModel,
  checkpoint: string,
  runId: number,
  engine: string | null,
): JsonObject {
  return {
    heldOutIoU: heldOut.result.meanIoU,
    heldOutIoUByPrompt: { ...heldOut.result.byPrompt },
    heldOutIoUBefore: before,
    heldOutIoUBase: heldOut.base.meanIoU,
    heldOutAnnotations: heldOut.result.annotations,
    finalLoss,
    encoderId: model.id,
    checkpoint: path.resolve(checkpoint),
    runId,
    engine,
    steps: settings.steps,
    trainable: settings.trainable,
    loss: settings.loss,
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
  };
}
