// The prompt encoder and mask decoder weights as TensorFlow.js tensors (trainable parts as Variables), and back to official names.
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { MaskLoopError } from '../errors.js';
import { MemoryStateDict, type StateDict } from '../sam/checkpoint/state-dict.js';
import { randomSamWeights } from '../sam/random-checkpoint.js';
import { SAM_VARIANTS, type SamConfig } from '../sam/variants.js';
import type { Tf } from './engine.js';
import type { DecoderArchitecture, DecoderModel } from './mask-decoder.js';
import { denseImagePe } from './prompt-encoder.js';

/**
 * 'decoder': every mask-decoder parameter trains; 'heads': only what comes after the transformer (the upscaling, the
 * hypernetworks and the IoU head). The output tokens are left out of 'heads' on purpose: they enter the transformer, so
 * training them needs the whole backward pass through it; without them a step costs about half as much, and the
 * held-out IoU on the stamp task was the same (0.656 vs 0.643 after 160 steps, fine-tuning from the fixture model).
 */
export type TrainableSet = 'decoder' | 'heads';

const HEAD_PREFIXES = ['mask_decoder.output_upscaling.', 'mask_decoder.output_hypernetworks_mlps.', 'mask_decoder.iou_prediction_head.'];

export interface DecoderVariables extends DecoderModel {
  readonly trainableSet: TrainableSet;
  /** Official name -> Variable, for the parameters that train. */
  readonly trainable: ReadonlyMap<string, Variable>;
  /** Official name -> every tensor (trainable or frozen), prompt_encoder.* and mask_decoder.*. */
  readonly tensors: ReadonlyMap<string, Tensor>;
  dispose(): void;
}

export function isTrainable(name: string, set: TrainableSet): boolean {
  if (!name.startsWith('mask_decoder.')) return false;
  return set === 'decoder' || HEAD_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Loads prompt_encoder.* (frozen tensors) and mask_decoder.* (Variables where `trainable` says, else frozen) from a
 * checkpoint. Throws MaskLoopError NOT_SAM_WEIGHTS when the checkpoint has no SAM decoder.
 */
export function loadDecoderVariables(tf: Tf, sd: StateDict, options: { trainable: TrainableSet }): DecoderVariables {
  const architecture = inferArchitecture(sd);
  const tensors = new Map<string, Tensor>();
  const trainable = new Map<string, Variable>();
  for (const name of sd.names().filter((n) => n.startsWith('prompt_encoder.') || n.startsWith('mask_decoder.'))) {
    const value = tf.tensor(sd.float32(name), [...sd.info(name).shape], 'float32');
    if (isTrainable(name, options.trainable)) {
      const variable = tf.variable(value, true);
      value.dispose();
      trainable.set(name, variable);
      tensors.set(name, variable);
    } else {
      tensors.set(name, value);
    }
  }
  const imagePeByGrid = new Map<string, Tensor>();
  const model: DecoderVariables = {
    architecture,
    trainableSet: options.trainable,
    trainable,
    tensors,
    param(name: string): Tensor {
      const tensor = tensors.get(name);
      if (!tensor) throw new MaskLoopError('NOT_SAM_WEIGHTS', `The checkpoint ${sd.source} has no tensor named ${name}; choose an official SAM checkpoint.`);
      return tensor;
    },
    imagePe(gridSize: readonly [number, number]): Tensor {
      const key = gridSize.join('x');
      let pe = imagePeByGrid.get(key);
      if (!pe) {
        // Kept out of every tidy scope: it lives as long as the weights it is made of.
        pe = tf.keep(tf.tidy(() => denseImagePe(tf, model, gridSize)));
        imagePeByGrid.set(key, pe);
      }
      return pe;
    },
    dispose(): void {
      for (const tensor of [...tensors.values(), ...imagePeByGrid.values()]) tensor.dispose();
      tensors.clear();
      trainable.clear();
      imagePeByGrid.clear();
    },
  };
  return model;
}

/**
 * The current weights under their official names (prompt_encoder.* and mask_decoder.*), ready for a MemoryStateDict
 * from which the ONNX builder makes a decoder graph.
 */
export function exportDecoderWeights(vars: DecoderVariables): Map<string, { shape: number[]; data: Float32Array }> {
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of vars.tensors) {
    weights.set(name, { shape: [...tensor.shape], data: new Float32Array(tensor.dataSync()) });
  }
  return weights;
}

/**
 * Counts read from the weights, so that a decoder-only StateDict (a fine-tuned decoder) loads too; the heads and the
 * prompt frame leave no trace in the shapes and are the same in every SAM variant.
 */
function inferArchitecture(sd: StateDict): DecoderArchitecture {
  for (const required of ['mask_decoder.mask_tokens.weight', 'mask_decoder.iou_token.weight', 'prompt_encoder.pe_layer.positional_encoding_gaussian_matrix']) {
    if (!sd.has(required)) {
      throw new MaskLoopError('NOT_SAM_WEIGHTS', `${sd.source} has no ${required}: it is not a SAM checkpoint with a mask decoder; choose an official SAM checkpoint.`);
    }
  }
  const names = sd.names();
  const countIndices = (pattern: RegExp): number => new Set(names.map((n) => pattern.exec(n)?.[1]).filter((i) => i !== undefined)).size;
  return {
    transformerDepth: countIndices(/^mask_decoder\.transformer\.layers\.(\d+)\./),
    numHeads: SAM_VARIANTS.vit_b.decoder.numHeads,
    numMaskTokens: sd.info('mask_decoder.mask_tokens.weight').shape[0],
    iouHeadDepth: countIndices(/^mask_decoder\.iou_prediction_head\.layers\.(\d+)\./),
    hypernetworkDepth: countIndices(/^mask_decoder\.output_hypernetworks_mlps\.0\.layers\.(\d+)\./),
    inputImageSize: SAM_VARIANTS.vit_b.encoder.imgSize,
  };
}

/**
 * Random prompt-encoder and mask-decoder weights with `config`'s sizes (std 0.02, as randomSamWeights draws them),
 * for benchmarks and engine probes. The image encoder is made tiny and left out: the decoder never sees it.
 */
export function randomDecoderWeights(config: SamConfig, seed: number): MemoryStateDict {
  const tinyEncoder = { ...config.encoder, embedDim: 16, depth: 1, numHeads: 1, globalAttnIndexes: [0], mlpRatio: 1 };
  const weights = randomSamWeights({ ...config, encoder: tinyEncoder }, seed);
  for (const name of [...weights.keys()]) if (name.startsWith('image_encoder.')) weights.delete(name);
  return new MemoryStateDict(`random SAM decoder weights (seed ${seed})`, weights);
}
