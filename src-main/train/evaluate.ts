// Held-out mean IoU of a decoder: the same fixed prompts for every decoder compared, masks compared at the original size.
import type { Tensor } from '@tensorflow/tfjs';
import { decodeMask } from '../coco/rle.js';
import { lowResToBinaryMask } from '../sam/postprocess.js';
import type { Tf } from './engine.js';
import { predictMasks, type DecoderModel } from './mask-decoder.js';
import { framePrompt, type DecoderPrompt } from './prompt-simulation.js';
import { LOW_RES_SIDE, type PreparedAnnotation } from './samples.js';

export type EvaluationPromptKind = 'box' | 'point';

export interface HeldOutMetrics {
  /** Mean IoU over every held-out annotation and prompt kind. */
  meanIoU: number;
  /** Mean IoU per prompt kind: the tight box, and one click at the point deepest inside the mask. */
  byPrompt: Record<EvaluationPromptKind, number>;
  annotations: number;
}

/** Gives the cached embedding float32[C*64*64] of an image by content hash (throws MaskLoopError when it cannot). */
export type EmbeddingLookup = (imageHash: string) => Float32Array;

/**
 * The two prompts every decoder is judged on, made from the ground truth alone so they never change: the mask's bbox
 * as a box, and one click on the mask pixel farthest from its outline (SAM's three candidates; the one with the
 * highest predicted IoU counts, as the app shows it).
 */
export function evaluationPrompts(annotation: PreparedAnnotation): Record<EvaluationPromptKind, DecoderPrompt> {
  const [x, y, width, height] = annotation.bbox;
  const [deepX, deepY] = deepestPoint(annotation.lowResMask);
  return {
    box: framePrompt({ points: [], box: [x, y, x + width, y + height] }, annotation.originalSize, false),
    point: { pointCoords: Float32Array.of(deepX, deepY, 0, 0), pointLabels: Float32Array.of(1, -1), multimask: true },
  };
}

/**
 * The centre (1024 frame) of the mask cell farthest from any background cell (chamfer 3-4 distance, two passes;
 * the first such cell in row order on ties). in: mask uint8[256*256]
 */
export function deepestPoint(mask: Uint8Array): [number, number] {
  const side = LOW_RES_SIDE;
  const far = 1 << 20;
  const distance = new Int32Array(side * side);
  for (let i = 0; i < distance.length; i++) distance[i] = mask[i] === 1 ? far : 0;
  const relax = (cell: number, row: number, column: number, step: number): void => {
    if (row < 0 || column < 0 || row >= side || column >= side) return;
    distance[cell] = Math.min(distance[cell], distance[row * side + column] + step);
  };
  for (let row = 0; row < side; row++) {
    for (let column = 0; column < side; column++) {
      const cell = row * side + column;
      if (distance[cell] === 0) continue;
      relax(cell, row, column - 1, 3);
      relax(cell, row - 1, column, 3);
      relax(cell, row - 1, column - 1, 4);
      relax(cell, row - 1, column + 1, 4);
    }
  }
  let best = 0;
  for (let row = side - 1; row >= 0; row--) {
    for (let column = side - 1; column >= 0; column--) {
      const cell = row * side + column;
      if (distance[cell] === 0) continue;
      relax(cell, row, column + 1, 3);
      relax(cell, row + 1, column, 3);
      relax(cell, row + 1, column + 1, 4);
      relax(cell, row + 1, column - 1, 4);
    }
  }
  for (let cell = 0; cell < distance.length; cell++) if (distance[cell] > distance[best]) best = cell;
  return [(best % side) * 4 + 2, Math.floor(best / side) * 4 + 2];
}

/**
 * The decoder's answer to one prompt: low-res logits of its single mask, or of the candidate with the highest
 * predicted IoU. in: embedding float32[C*h*w]; out: float32[256*256]
 */
export function predictLowRes(tf: Tf, model: DecoderModel, embedding: Float32Array, prompt: DecoderPrompt): Float32Array {
  return tf.tidy(() => {
    const [, channels] = model.param('mask_decoder.iou_token.weight').shape as number[];
    const grid = Math.sqrt(embedding.length / channels);
    const points = prompt.pointLabels.length;
    const { lowResLogits, iouPredictions } = predictMasks(
      tf,
      model,
      {
        imageEmbeddings: tf.tensor4d(embedding, [1, channels, grid, grid]),
        pointCoords: tf.tensor3d(prompt.pointCoords, [1, points, 2]),
        pointLabels: tf.tensor2d(prompt.pointLabels, [1, points]),
      },
      prompt.multimask,
    );
    const scores = iouPredictions.dataSync();
    const best = scores.indexOf(Math.max(...scores));
    const chosen: Tensor = lowResLogits.slice([0, best, 0, 0], [1, 1, -1, -1]);
    return chosen.dataSync() as Float32Array;
  });
}

/** IoU of two 0/1 masks of one size; two empty masks agree perfectly. */
export function maskIoU(a: Uint8Array, b: Uint8Array): number {
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    intersection += a[i] & b[i];
    union += a[i] | b[i];
  }
  return union === 0 ? 1 : intersection / union;
}

/**
 * Mean IoU of `model` on the held-out annotations, each asked with evaluationPrompts and compared with its mask at the
 * original image size (SAM's post-processing of the low-res logits). Deterministic: no randomness, fixed order.
 * undefined when `shouldStop` (checked before each annotation) asks to stop.
 */
export function evaluateHeldOut(
  tf: Tf,
  model: DecoderModel,
  annotations: readonly PreparedAnnotation[],
  embeddingOf: EmbeddingLookup,
  shouldStop: () => boolean = () => false,
): HeldOutMetrics | undefined {
  const sums: Record<EvaluationPromptKind, number> = { box: 0, point: 0 };
  for (const annotation of annotations) {
    if (shouldStop()) return undefined;
    const embedding = embeddingOf(annotation.imageHash);
    const truth = decodeMask(annotation.mask);
    for (const [kind, prompt] of Object.entries(evaluationPrompts(annotation)) as [EvaluationPromptKind, DecoderPrompt][]) {
      const logits = predictLowRes(tf, model, embedding, prompt);
      sums[kind] += maskIoU(lowResToBinaryMask(logits, 1, 0, annotation.inputSize, annotation.originalSize), truth);
    }
  }
  const count = Math.max(annotations.length, 1);
  const byPrompt = { box: sums.box / count, point: sums.point / count };
  return { meanIoU: (byPrompt.box + byPrompt.point) / 2, byPrompt, annotations: annotations.length };
}
