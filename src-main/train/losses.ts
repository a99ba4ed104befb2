// Training losses on mask logits (focal, dice, BCE, IoU-head MSE, and the seed recipe's thresholded MSE) and their weighting.
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import type { Tf } from './engine.js';

export type LossTerm = 'focal' | 'dice' | 'bce' | 'iou' | 'thresholdedMse';
export const LOSS_TERMS: readonly LossTerm[] = ['focal', 'dice', 'bce', 'iou', 'thresholdedMse'];

/** Weight of each term in the total (0 leaves a term out) and the BCE's positive-pixel weight. */
export interface LossConfig {
  weights: Record<LossTerm, number>;
  bcePosWeight: number;
}

export type LossPreset = 'sam' | 'bce-dice' | 'seed-mse';

/**
 * 'sam': focal x20 + dice + IoU MSE, as SAM was trained. 'bce-dice': BCE (pos_weight 5) + dice + IoU MSE, which
 * learned from a random start where 'sam' collapsed to empty masks (NOTES.md). 'seed-mse': the recipe MaskLoop grew
 * from, for comparison only.
 */
export const LOSS_PRESETS: Record<LossPreset, LossConfig> = {
  sam: { weights: { focal: 20, dice: 1, bce: 0, iou: 1, thresholdedMse: 0 }, bcePosWeight: 1 },
  'bce-dice': { weights: { focal: 0, dice: 1, bce: 1, iou: 1, thresholdedMse: 0 }, bcePosWeight: 5 },
  'seed-mse': { weights: { focal: 0, dice: 0, bce: 0, iou: 0, thresholdedMse: 1 }, bcePosWeight: 1 },
};

const FOCAL_ALPHA = 0.25;
const FOCAL_GAMMA = 2;
const DICE_SMOOTHING = 1;

/**
 * Sum over the last two (pixel) axes, row by row then over the rows: float32[..., H, W] -> float32[...]. The wasm
 * kernels add 65536 pixels one after another in float32, which loses about 1e-5 of a mean; two passes of 256 keep
 * the error near 1e-7.
 */
function pixelSum(tf: Tf, x: Tensor): Tensor {
  return tf.sum(tf.sum(x, -1), -1);
}

function pixelMean(tf: Tf, x: Tensor): Tensor {
  const [height, width] = x.shape.slice(-2) as number[];
  return tf.div(pixelSum(tf, x), height * width);
}

/**
 * binary_cross_entropy_with_logits(reduction='none') with PyTorch's pos_weight form, stable for any logit:
 * (1 - y) * x + (1 + (p - 1) * y) * (log1p(exp(-|x|)) + max(-x, 0)).
 * in: logits float32[..., H, W], targets 0/1 broadcastable to it; out: float32[..., H, W]
 */
function bceElementwise(tf: Tf, logits: Tensor, targets: Tensor, posWeight: number): Tensor {
  const softplusOfMinusX = tf.add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))), tf.relu(tf.neg(logits)));
  const negativePart = tf.mul(tf.sub(1, targets), logits);
  if (posWeight === 1) return tf.add(negativePart, softplusOfMinusX);
  const logWeight = tf.add(tf.mul(targets, posWeight - 1), 1);
  return tf.add(negativePart, tf.mul(logWeight, softplusOfMinusX));
}

/** BCE with logits, mean per mask. in: logits float32[B,K,H,W], targets float32[B,1,H,W]; out: float32[B,K] */
export function bceWithLogitsLoss(tf: Tf, logits: Tensor, targets: Tensor, posWeight = 1): Tensor {
  return pixelMean(tf, bceElementwise(tf, logits, targets, posWeight));
}

/** torchvision's sigmoid_focal_loss (alpha 0.25, gamma 2), mean per mask. in: float32[B,K,H,W], float32[B,1,H,W]; out: float32[B,K] */
export function sigmoidFocalLoss(tf: Tf, logits: Tensor, targets: Tensor): Tensor {
  const probability = tf.sigmoid(logits);
  const crossEntropy = bceElementwise(tf, logits, targets, 1);
  const pT = tf.add(tf.mul(probability, targets), tf.mul(tf.sub(1, probability), tf.sub(1, targets)));
  const modulated = tf.mul(crossEntropy, tf.pow(tf.sub(1, pT), FOCAL_GAMMA));
  const alphaT = tf.add(tf.mul(targets, FOCAL_ALPHA), tf.mul(tf.sub(1, targets), 1 - FOCAL_ALPHA));
  return pixelMean(tf, tf.mul(alphaT, modulated));
}

/** DETR/SAM dice loss on sigmoid probabilities: 1 - (2|P∩Y| + 1) / (|P| + |Y| + 1). in: float32[B,K,H,W], float32[B,1,H,W]; out: float32[B,K] */
export function diceLoss(tf: Tf, logits: Tensor, targets: Tensor): Tensor {
  const probability = tf.sigmoid(logits);
  const intersection = pixelSum(tf, tf.mul(probability, targets));
  const total = tf.add(pixelSum(tf, probability), pixelSum(tf, targets));
  return tf.sub(1, tf.div(tf.add(tf.mul(intersection, 2), DICE_SMOOTHING), tf.add(total, DICE_SMOOTHING)));
}

/**
 * IoU of the thresholded prediction (logit > 0) with the target, as a training target for the IoU head. tf.step
 * has a zero gradient, so no gradient flows back into the logits through this. An empty prediction of an empty
 * target counts as IoU 1. in: float32[B,K,H,W], float32[B,1,H,W]; out: float32[B,K]
 */
export function thresholdedIou(tf: Tf, logits: Tensor, targets: Tensor): Tensor {
  const predicted = tf.step(logits);
  const intersection = pixelSum(tf, tf.mul(predicted, targets));
  const union = tf.sub(tf.add(pixelSum(tf, predicted), pixelSum(tf, targets)), intersection);
  const isEmpty = tf.step(tf.sub(0.5, union));
  return tf.div(tf.add(intersection, isEmpty), tf.add(union, isEmpty));
}

/** MSE between the IoU head's predictions float32[B,K] and the true IoU of the thresholded masks float32[B,K]; out float32[B,K]. */
export function iouHeadLoss(tf: Tf, iouPredictions: Tensor, logits: Tensor, targets: Tensor): Tensor {
  return tf.square(tf.sub(iouPredictions, thresholdedIou(tf, logits, targets)));
}

/**
 * The seed recipe's loss: MSE between normalize(threshold(logits, 0, 0)) and the target. On a one-channel mask
 * F.normalize turns every positive logit into exactly 1, so the prediction is a step function of the logits: its
 * gradient is zero almost everywhere and this loss cannot teach the decoder much. Kept only for comparison.
 * in: float32[B,K,H,W], float32[B,1,H,W]; out: float32[B,K]
 */
export function thresholdedMseLoss(tf: Tf, logits: Tensor, targets: Tensor): Tensor {
  const thresholded = tf.relu(logits);
  const normalised = tf.div(thresholded, tf.maximum(thresholded, 1e-12));
  return pixelMean(tf, tf.square(tf.sub(normalised, targets)));
}

export interface LossResult {
  /** The weighted sum, averaged over the batch. */
  total: Scalar;
  /** Each term with a non-zero weight, unweighted, averaged over the batch. */
  terms: Partial<Record<LossTerm, Scalar>>;
}

/**
 * SAM's training loss for one batch of predictions. With several masks per prompt (multimask), the mask terms use
 * only the mask with the lowest mask loss (SAM backpropagates only that one); the IoU head learns all of them.
 * in: logits float32[B,K,H,W], iouPredictions float32[B,K], targets float32[B,1,H,W] (0/1)
 */
export function decoderLoss(tf: Tf, logits: Tensor, iouPredictions: Tensor, targets: Tensor, config: LossConfig): LossResult {
  const perMask: Partial<Record<LossTerm, Tensor>> = {}; // each float32[B,K]
  const { weights } = config;
  if (weights.focal !== 0) perMask.focal = sigmoidFocalLoss(tf, logits, targets);
  if (weights.dice !== 0) perMask.dice = diceLoss(tf, logits, targets);
  if (weights.bce !== 0) perMask.bce = bceWithLogitsLoss(tf, logits, targets, config.bcePosWeight);
  if (weights.thresholdedMse !== 0) perMask.thresholdedMse = thresholdedMseLoss(tf, logits, targets);

  const maskTerms = LOSS_TERMS.filter((term) => term !== 'iou' && perMask[term] !== undefined);
  const maskLoss = maskTerms.reduce<Tensor>((sum, term) => tf.add(sum, tf.mul(perMask[term]!, weights[term])), tf.zerosLike(iouPredictions));
  // One-hot of the lowest-loss mask per prompt ([B,K]).
  const [, maskCount] = logits.shape as number[];
  const chosen = maskCount === 1 ? tf.onesLike(maskLoss) : tf.cast(tf.oneHot(tf.argMin(maskLoss, 1), maskCount), 'float32');
  const pickMean = (perMaskValues: Tensor): Scalar => tf.mean(tf.sum(tf.mul(perMaskValues, chosen), 1));

  const terms: Partial<Record<LossTerm, Scalar>> = {};
  for (const term of maskTerms) terms[term] = pickMean(perMask[term]!);
  let total: Scalar = pickMean(maskLoss);
  if (weights.iou !== 0) {
    const iou: Scalar = tf.mean(iouHeadLoss(tf, iouPredictions, logits, targets));
    terms.iou = iou;
    total = tf.add<Scalar>(total, tf.mul(iou, weights.iou));
  }
  return { total, terms };
}
