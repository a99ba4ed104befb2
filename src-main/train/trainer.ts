// The training loop: simulated prompts on the training annotations, AdamW steps, progress, and a stop check every step.
import { MaskLoopError } from '../errors.js';
import type { DecoderVariables } from './decoder-weights.js';
import type { Tf } from './engine.js';
import { predictLowRes, type EmbeddingLookup } from './evaluate.js';
import { LOSS_PRESETS, type LossTerm } from './losses.js';
import { correctionPoint, simulatePrompt, withPoint } from './prompt-simulation.js';
import { asFloat32, type PreparedAnnotation } from './samples.js';
import { SeededRandom } from './seeded-random.js';
import type { TrainingSettings } from './auto-settings.js';
import { DecoderOptimizer, DEFAULT_OPTIMIZER, trainStep, type TrainingSample } from './train-step.js';

export interface TrainingProgress {
  /** Steps done, 1..totalSteps. */
  step: number;
  totalSteps: number;
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** The total loss, averaged over the last few steps so that it reads steadily. */
  loss: number;
  lossTerms: Partial<Record<LossTerm, number>>;
  samplesPerSecond: number;
  /** From this run's average step time; null before the first step. */
  etaMs: number | null;
}

export interface TrainingHooks {
  onProgress(progress: TrainingProgress): void;
  /** Checked before every step: true ends the loop at once. */
  shouldStop(): boolean;
}

export type TrainingLoopResult = { outcome: 'completed'; finalLoss: number } | { outcome: 'stopped'; step: number };

/** Steps whose losses are averaged in progress reports. */
const LOSS_WINDOW = 10;

/**
 * Trains `model` in place for settings.steps steps of settings.batchSize samples, each a training annotation with a
 * simulated first prompt and, for a share of them, one corrective click on the error of the current prediction with
 * that prediction fed back as mask_input (SAM's interactive training, one round). Deterministic for a seed.
 */
export function runTrainingLoop(
  tf: Tf,
  model: DecoderVariables,
  annotations: readonly PreparedAnnotation[],
  embeddingOf: EmbeddingLookup,
  settings: TrainingSettings,
  hooks: TrainingHooks,
): TrainingLoopResult {
  if (annotations.length === 0) throw new MaskLoopError('TRAINING', 'There are no training annotations left to learn from.');
  const random = new SeededRandom(settings.seed);
  const optimizer = new DecoderOptimizer(tf, model.trainable, { ...DEFAULT_OPTIMIZER, learningRate: settings.learningRate });
  const lossConfig = LOSS_PRESETS[settings.loss];
  const stepsPerEpoch = Math.ceil(annotations.length / settings.batchSize);
  const recent: { total: number; terms: Partial<Record<LossTerm, number>> }[] = [];
  let order: PreparedAnnotation[] = [];
  const started = performance.now();
  try {
    for (let step = 1; step <= settings.steps; step++) {
      if (hooks.shouldStop()) return { outcome: 'stopped', step: step - 1 };
      if (order.length < settings.batchSize) order = [...order, ...random.shuffled(annotations)];
      const batch = order.splice(0, settings.batchSize);
      const samples = batch.map((annotation) => trainingSample(tf, model, annotation, embeddingOf(annotation.imageHash), settings, random));
      const losses = trainStep(tf, model, optimizer, samples, lossConfig);
      if (!Number.isFinite(losses.total)) {
        throw new MaskLoopError('TRAINING', `The training loss became ${losses.total} at step ${step}; train again with a lower learning rate.`);
      }
      recent.push(losses);
      if (recent.length > LOSS_WINDOW) recent.shift();
      const elapsed = performance.now() - started;
      hooks.onProgress({
        step,
        totalSteps: settings.steps,
        epoch: Math.min(settings.epochs, Math.ceil(step / stepsPerEpoch)),
        epochs: settings.epochs,
        loss: mean(recent.map((l) => l.total)),
        lossTerms: meanTerms(recent.map((l) => l.terms)),
        samplesPerSecond: (step * settings.batchSize * 1000) / elapsed,
        etaMs: (elapsed / step) * (settings.steps - step),
      });
    }
    return { outcome: 'completed', finalLoss: mean(recent.map((l) => l.total)) };
  } finally {
    optimizer.dispose();
  }
}

function trainingSample(
  tf: Tf,
  model: DecoderVariables,
  annotation: PreparedAnnotation,
  embedding: Float32Array,
  settings: TrainingSettings,
  random: SeededRandom,
): TrainingSample {
  const gtMask256 = asFloat32(annotation.lowResMask);
  const prompt = simulatePrompt(annotation, random, settings.promptMix);
  if (random.next() >= settings.refineProbability) return { embedding, gtMask256, ...prompt };
  const previous = predictLowRes(tf, model, embedding, prompt);
  const click = correctionPoint(previous, annotation, random);
  if (!click) return { embedding, gtMask256, ...prompt };
  return { embedding, gtMask256, ...withPoint(prompt, click), maskInput: previous };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(values.length, 1);
}

function meanTerms(terms: readonly Partial<Record<LossTerm, number>>[]): Partial<Record<LossTerm, number>> {
  const out: Partial<Record<LossTerm, number>> = {};
  for (const term of Object.keys(terms[0] ?? {}) as LossTerm[]) out[term] = mean(terms.map((t) => t[term] ?? 0));
  return out;
}
