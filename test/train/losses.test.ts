import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '@tensorflow/tfjs';
import { loadTrainingEngine } from '../../src-main/train/engine.js';
import {
  bceWithLogitsLoss,
  decoderLoss,
  diceLoss,
  iouHeadLoss,
  LOSS_PRESETS,
  sigmoidFocalLoss,
  thresholdedIou,
  thresholdedMseLoss,
} from '../../src-main/train/losses.js';

const { tf } = await loadTrainingEngine('auto');

// One 2x2 mask: logits and a target, as float32[1,1,2,2].
const LOGITS = [2, -1, 0, 3];
const TARGET = [1, 0, 1, 0];
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const mask = (values: number[]): Tensor => tf.tensor4d(values, [1, 1, 2, 2]);
const scalarOf = (t: Tensor): number => t.dataSync()[0];

function assertClose(actual: number, expected: number, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);
}

test('BCE with logits is -[w·y·log σ(x) + (1-y)·log(1-σ(x))] averaged over pixels, w = pos_weight', () => {
  for (const posWeight of [1, 5]) {
    const expected = mean(LOGITS.map((x, i) => -(posWeight * TARGET[i] * Math.log(sigmoid(x)) + (1 - TARGET[i]) * Math.log(1 - sigmoid(x)))));
    tf.tidy(() => assertClose(scalarOf(bceWithLogitsLoss(tf, mask(LOGITS), mask(TARGET), posWeight)), expected));
  }
});

test('focal loss is torchvision sigmoid_focal_loss (alpha 0.25, gamma 2), averaged over pixels', () => {
  const expected = mean(
    LOGITS.map((x, i) => {
      const y = TARGET[i];
      const p = sigmoid(x);
      const crossEntropy = -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
      const pT = p * y + (1 - p) * (1 - y);
      return (0.25 * y + 0.75 * (1 - y)) * crossEntropy * (1 - pT) ** 2;
    }),
  );
  tf.tidy(() => assertClose(scalarOf(sigmoidFocalLoss(tf, mask(LOGITS), mask(TARGET))), expected));
});

test('dice loss is 1 - (2·Σσ(x)·y + 1) / (Σσ(x) + Σy + 1)', () => {
  const probabilities = LOGITS.map(sigmoid);
  const intersection = probabilities.reduce((sum, p, i) => sum + p * TARGET[i], 0);
  const expected = 1 - (2 * intersection + 1) / (probabilities.reduce((a, b) => a + b, 0) + 2 + 1);
  tf.tidy(() => assertClose(scalarOf(diceLoss(tf, mask(LOGITS), mask(TARGET))), expected));
});

test('the IoU head learns the true IoU of the thresholded mask, with no gradient into the logits', () => {
  tf.tidy(() => {
    // logits > 0 at pixels 0 and 3; the target at 0 and 2: intersection 1, union 3.
    assertClose(scalarOf(thresholdedIou(tf, mask(LOGITS), mask(TARGET))), 1 / 3);
    assert.equal(scalarOf(thresholdedIou(tf, mask([-1, -1, -1, -1]), mask([0, 0, 0, 0]))), 1, 'empty prediction of an empty target');
    const iouPrediction = tf.tensor2d([[0.5]]);
    const [toLogits, toPrediction] = tf.grads((logits: Tensor, prediction: Tensor) => tf.sum(iouHeadLoss(tf, prediction, logits, mask(TARGET))))([
      mask(LOGITS),
      iouPrediction,
    ]);
    assert.deepEqual([...toLogits.dataSync()], [0, 0, 0, 0]);
    assertClose(toPrediction.dataSync()[0], 2 * (0.5 - 1 / 3));
  });
});

test("the seed recipe's MSE on thresholded masks has no gradient at logits away from 0, while BCE, focal and dice do", () => {
  tf.tidy(() => {
    const gradientOf = (loss: (logits: Tensor) => Tensor): number[] => [...tf.grad((logits: Tensor) => tf.sum(loss(logits)))(mask(LOGITS.map((x) => x + 0.5))).dataSync()];
    assert.deepEqual(gradientOf((x) => thresholdedMseLoss(tf, x, mask(TARGET))), [0, 0, 0, 0]);
    for (const loss of [bceWithLogitsLoss, sigmoidFocalLoss, diceLoss]) {
      assert.ok(gradientOf((x) => loss(tf, x, mask(TARGET))).every((g) => g !== 0), `${loss.name} has a gradient at every pixel`);
    }
  });
});

test('every loss stays finite, with finite gradients, at logits of ±80', () => {
  tf.tidy(() => {
    const extreme = mask([80, -80, -80, 80]);
    for (const loss of [bceWithLogitsLoss, sigmoidFocalLoss, diceLoss]) {
      const { value, grad } = tf.valueAndGrad((logits: Tensor) => tf.sum(loss(tf, logits, mask(TARGET))) as Tensor)(extreme);
      assert.ok(Number.isFinite(scalarOf(value)), `${loss.name} value`);
      assert.ok([...grad.dataSync()].every(Number.isFinite), `${loss.name} gradient`);
    }
  });
});

test("the 'sam' preset is 20·focal + dice + IoU MSE, and with several masks only the lowest-loss one is trained", () => {
  tf.tidy(() => {
    // Three candidate masks [1,3,2,2]: the second predicts the target exactly.
    const candidates = tf.tensor4d([...LOGITS, 8, -8, 8, -8, -3, -3, -3, -3], [1, 3, 2, 2]);
    const target = mask(TARGET);
    const iouPredictions = tf.tensor2d([[0.2, 0.9, 0.1]]);
    const { value, grad } = tf.valueAndGrad((logits: Tensor) => decoderLoss(tf, logits, iouPredictions, target, LOSS_PRESETS.sam).total)(candidates);
    const best = candidates.slice([0, 1, 0, 0], [1, 1, 2, 2]);
    const trueIou = thresholdedIou(tf, candidates, target);
    const expected = 20 * scalarOf(sigmoidFocalLoss(tf, best, target)) + scalarOf(diceLoss(tf, best, target)) + scalarOf(tf.mean(tf.square(tf.sub(iouPredictions, trueIou))));
    assertClose(scalarOf(value), expected);
    const gradient = [...grad.dataSync()];
    assert.deepEqual([...gradient.slice(0, 4), ...gradient.slice(8)], new Array(8).fill(0), 'the other candidates get no mask gradient');
    assert.ok(gradient.slice(4, 8).some((g) => g !== 0));
  });
});

test("the 'bce-dice' preset weighs positive pixels 5x and reports each term", () => {
  tf.tidy(() => {
    const { total, terms } = decoderLoss(tf, mask(LOGITS), tf.tensor2d([[0.5]]), mask(TARGET), LOSS_PRESETS['bce-dice']);
    assert.deepEqual(Object.keys(terms).sort(), ['bce', 'dice', 'iou']);
    assertClose(scalarOf(terms.bce!), scalarOf(bceWithLogitsLoss(tf, mask(LOGITS), mask(TARGET), 5)));
    assertClose(scalarOf(total), scalarOf(terms.bce!) + scalarOf(terms.dice!) + scalarOf(terms.iou!));
  });
});
