// Training settings chosen from the dataset's size (the user clicks once), each of which the user may override.
import type { TrainableSet } from './decoder-weights.js';
import type { LossPreset } from './losses.js';
import { DEFAULT_PROMPT_MIX, type PromptMix } from './prompt-simulation.js';

export interface TrainingSettings {
  steps: number;
  /** Passes over the training annotations that `steps` amounts to. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  trainable: TrainableSet;
  loss: LossPreset;
  /** Share of samples that get one corrective click on the current prediction's error, with it as mask_input. */
  refineProbability: number;
  promptMix: PromptMix;
  seed: number;
}

/** What a user may ask for; everything left out is chosen automatically. */
export interface TrainingRequest {
  epochs?: number;
  steps?: number;
  headsOnly?: boolean;
  loss?: LossPreset;
  batchSize?: number;
  learningRate?: number;
  refineProbability?: number;
  seed?: number;
}

export const DEFAULT_LOSS: LossPreset = 'bce-dice';

export function automaticSettings(trainCount: number, request: TrainingRequest = {}): TrainingSettings {
  const trainable: TrainableSet = request.headsOnly ?? trainCount < 16 ? 'heads' : 'decoder';
  const batchSize = request.batchSize ?? (trainCount < 8 ? 1 : trainCount < 64 ? 2 : 4);
  const epochs = request.epochs ?? (trainCount <= 10 ? 30 : trainCount <= 50 ? 15 : trainCount <= 200 ? 8 : 4);
  const steps = request.steps ?? Math.ceil((epochs * trainCount) / batchSize);
  return {
    steps,
    epochs: request.epochs ?? Math.max(1, Math.round((steps * batchSize) / trainCount)),
    batchSize,
    learningRate: request.learningRate ?? (trainable === 'heads' ? 1e-3 : 1e-4),
    trainable,
    loss: request.loss ?? DEFAULT_LOSS,
    refineProbability: request.refineProbability ?? 0.25,
    promptMix: DEFAULT_PROMPT_MIX,
    seed: request.seed ?? 1,
  };
}
