// Decoder training benchmark: one AdamW step of a vit_b-sized (random) mask decoder, batch 1, box prompt, on the engine 'auto' picks.
import { SAM_VARIANTS } from '../src-main/sam/variants.js';
import { loadDecoderVariables, randomDecoderWeights, type TrainableSet } from '../src-main/train/decoder-weights.js';
import { loadTrainingEngine, type EnginePreference } from '../src-main/train/engine.js';
import { LOSS_PRESETS } from '../src-main/train/losses.js';
import { DecoderOptimizer, DEFAULT_OPTIMIZER, trainStep, type TrainingSample } from '../src-main/train/train-step.js';
import { medianMs, round } from './stats.js';

export interface TrainBench {
  train_step_ms: number;
  train_samples_per_s: number;
  train_engine: string;
}

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
export async function benchTrain(options: { engine?: EnginePreference; trainable?: TrainableSet; runs?: number } = {}): Promise<TrainBench> {
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
