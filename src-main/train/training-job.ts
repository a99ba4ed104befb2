// What the fine-tuner hands the training worker, and the messages the worker sends back.
import type { MaskLoopErrorCode } from '../errors.js';
import type { TrainingSettings } from './auto-settings.js';
import type { EngineName, EnginePreference } from './engine.js';
import type { HeldOutMetrics } from './evaluate.js';
import type { TrainingAnnotation } from './samples.js';
import type { TrainingProgress } from './trainer.js';

export interface TrainingJob {
  projectFile: string;
  /** The image encoder whose cached embeddings the samples use (SamModel.id). */
  encoderId: string;
  /** The SAM checkpoint file: its decoder is the base every version is compared with. */
  checkpoint: string;
  /** The decoder version training starts from; null: the checkpoint's own decoder. */
  startVersionId: number | null;
  train: TrainingAnnotation[];
  heldOut: TrainingAnnotation[];
  settings: TrainingSettings;
  engine: EnginePreference;
  /** Int32Array[1] over it: set to 1 to stop; the worker checks it before every step and between evaluations. */
  stopFlag: SharedArrayBuffer;
}

export type FineTuneStage = 'preparing' | 'embedding' | 'loading' | 'evaluating' | 'training' | 'saving';

/** Held-out IoU of the checkpoint's decoder, of the decoder training started from (the one in use), and of the result. */
export interface HeldOutComparison {
  base: HeldOutMetrics;
  /** null when training started from the checkpoint's own decoder (then it equals `base`). */
  start: HeldOutMetrics | null;
  result: HeldOutMetrics;
}

export type WorkerMessage =
  | { type: 'engine'; name: EngineName; description: string }
  | { type: 'stage'; stage: FineTuneStage; detail?: string }
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'notice'; message: string }
  | { type: 'finished'; weights: Uint8Array; heldOut: HeldOutComparison; finalLoss: number; skippedAnnotationIds: number[] }
  | { type: 'stopped' }
  | { type: 'failed'; code: MaskLoopErrorCode; message: string };

export const STOP_REQUESTED = 1;
