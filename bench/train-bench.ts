// Decoder training benchmark: AdamW steps of a vit_b-sized (random) mask decoder, batch 1, box prompt, on every engine that runs here.
import { SAM_VARIANTS } from '../src-main/sam/variants.js';
import { loadDecoderVariables, randomDecoderWeights, type TrainableSet } from '../src-main/train/decoder-weights.js';
import { loadTrainingEngine, type EngineName, type EnginePreference } from '../src-main/train/engine.js';
import { LOSS_PRESETS } from '../src-main/train/losses.js';
import { DecoderOptimizer, DEFAULT_OPTIMIZER, trainStep, type TrainingSample } from '../src-main/train/train-step.js';
import { medianMs, round } from './stats.js';

export interface TrainBench {
  /** One whole-decoder step on the engine 'auto' picks. */
  train_step_ms: number;
  train_samples_per_s: number;
  train_engine: string;
  /** One heads-only step (upscaling, hypernetworks, IoU head) on the same engine. */
  train_heads_step_ms: number;
  /** Whole-decoder steps on each pure TensorFlow.js engine (the native ones cannot be installed everywhere). */
  train_engines: Partial<Record<EngineName, { step_ms: number; samples_per_s: number }>>;
}

export interface StepTiming {
  train_step_ms: number;
  train_samples_per_s: number;
  train_engine: EngineName;
}

/** The pure engines timed besides 'auto', with few steps: the cpu backend takes tens of seconds per step. */
const OTHER_ENGINES: readonly { engine: EnginePreference; runs: number }[] = [
  { engine: 'wasm', runs: 3 },
  { engine: 'cpu', runs: 1 },
];

/** An embedding-like pattern and a rectangular ground truth with its box: speed does not depend on the values. */
function benchSample(): TrainingSample {
  const embedding = Float32Array.from({ length: 256 * 64 * 64 }, (_, i) => Math.sin(0.37 * i) * 2);
  const gtMask256 = Float32Array.from({ length: 256 * 256 }, (_, i) => {
    const [row, column] = [Math.floor(i / 256), i % 256];
    return row >= 60 && row < 150 && column >= 80 && column < 170 ? 1 : 0;
  });
  return { embedding, pointCoords: Float32Array.of(320, 240, 680, 600), pointLabels: Float32Array.of(2, 3), gtMask256 };
}

/** Median of `runs` training steps after one warm-up step (which also grows the engine's memory). */
export async function timeTrainStep(options: { engine?: EnginePreference; trainable?: TrainableSet; runs?: number } = {}): Promise<StepTiming> {
  const engine = await loadTrainingEngine(options.engine ?? 'auto');
  const { tf } = engine;
  const model = loadDecoderVariables(tf, randomDecoderWeights(SAM_VARIANTS.vit_b, 1), { trainable: options.trainable ?? 'decoder' });
  const optimizer = new DecoderOptimizer(tf, model.trainable, DEFAULT_OPTIMIZER);
  const samples = [benchSample()];
  try {
    const stepMs = await medianMs(() => trainStep(tf, model, optimizer, samples, LOSS_PRESETS['bce-dice']), options.runs ?? 5, 1);
    return { train_step_ms: stepMs, train_samples_per_s: round(1000 / stepMs, 3), train_engine: engine.name };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** The auto engine (whole decoder and heads only), then every pure engine that starts here. */
export async function benchTrain(): Promise<TrainBench> {
  const auto = await timeTrainStep();
  const heads = await timeTrainStep({ trainable: 'heads' });
  const engines: TrainBench['train_engines'] = {};
  for (const { engine, runs } of OTHER_ENGINES) {
    const timing = engine === auto.train_engine ? auto : await timeTrainStep({ engine, runs }).catch(() => undefined);
    if (timing) engines[timing.train_engine] = { step_ms: timing.train_step_ms, samples_per_s: timing.train_samples_per_s };
  }
  return { ...auto, train_heads_step_ms: heads.train_step_ms, train_engines: engines };
}
