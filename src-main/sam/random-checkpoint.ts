// Deterministic random SAM weights of any configuration, in memory or written as a checkpoint: for tests and `maskloop bench`.
import { writeSafetensors } from './checkpoint/safetensors-writer.js';
import { elementCount } from './checkpoint/tensor-encoding.js';
import type { Float32Tensor } from './checkpoint/tensor-encoding.js';
import { writeTorchZip } from './checkpoint/torch-zip-writer.js';
import { samTensorSpecs } from './variants.js';
import type { SamConfig, SamTensorSpec } from './variants.js';

/** Standard deviation of every weight except LayerNorm scales (1 + this) and the Fourier matrix (N(0, 1), as in SAM). */
const WEIGHT_STD = 0.02;

/** Every tensor of samTensorSpecs(config) with random values; the same (config, seed) always gives the same values. */
export function randomSamWeights(config: SamConfig, seed: number): Map<string, Float32Tensor> {
  return new Map(
    samTensorSpecs(config).map((spec, index) => [spec.name, { shape: spec.shape, data: randomValues(spec, seed, index) }]),
  );
}

/**
 * Writes randomSamWeights(config, seed) as a PyTorch zip checkpoint, or as safetensors when the path ends in
 * `.safetensors`. Tensors are generated one at a time while they are written, so a vit_h file needs little memory.
 */
export function writeRandomCheckpoint(filePath: string, config: SamConfig, seed: number): void {
  const tensors = new Map<string, Float32Tensor>(
    samTensorSpecs(config).map((spec, index) => [
      spec.name,
      {
        shape: spec.shape,
        get data() {
          return randomValues(spec, seed, index);
        },
      },
    ]),
  );
  if (filePath.endsWith('.safetensors')) writeSafetensors(filePath, tensors);
  else writeTorchZip(filePath, tensors);
}

/** Each tensor has its own generator, seeded from (seed, index), so its values do not depend on which tensors came first. */
function randomValues(spec: SamTensorSpec, seed: number, index: number): Float32Array {
  const [mean, std] = spec.kind === 'layer-norm-scale' ? [1, WEIGHT_STD] : spec.kind === 'fourier-gaussian' ? [0, 1] : [0, WEIGHT_STD];
  const values = new Float32Array(elementCount(spec.shape));
  fillNormal(values, mean, std, mixSeed(seed, index));
  return values;
}

function mixSeed(seed: number, index: number): number {
  let mixed = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  mixed ^= mixed >>> 16;
  mixed = Math.imul(mixed, 0x7feb352d);
  return mixed ^ (mixed >>> 15);
}

/** N(mean, std) samples: Box-Muller over mulberry32 uniforms, two values per pair (one loop: vit_h draws 641M values). */
function fillNormal(values: Float32Array, mean: number, std: number, seed: number): void {
  let state = seed | 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < values.length; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    values[i] = mean + radius * Math.cos(angle);
    if (i + 1 < values.length) values[i + 1] = mean + radius * Math.sin(angle);
  }
}
