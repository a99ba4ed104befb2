// One optimiser step of mask-decoder training on a batch of samples (AdamW or Adam), returning the loss parts it measured.
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { MaskLoopError } from '../errors.js';
import type { DecoderVariables } from './decoder-weights.js';
import type { Tf } from './engine.js';
import { decoderLoss, LOSS_TERMS, type LossConfig, type LossTerm } from './losses.js';
import { predictMasks } from './mask-decoder.js';

/** One prompt on one image with its ground truth; all arrays in C order. */
export interface TrainingSample {
  /** float32[C*h*w]: the cached image embedding [C,h,w] (C=256, h=w=64 for SAM) */
  embedding: Float32Array;
  /** float32[N*2]: (x, y) pairs in the 1024 frame */
  pointCoords: Float32Array;
  /** float32[N]: -1 pad, 0 negative, 1 positive, 2/3 box corners */
  pointLabels: Float32Array;
  /** float32[4h*4w] (256x256): 0/1 ground truth in the padded 1024 frame at 1/4 scale */
  gtMask256: Float32Array;
  /** float32[4h*4w]: low-res logits of an earlier round, fed back as mask_input */
  maskInput?: Float32Array;
  /** Ask for SAM's three candidate masks (ambiguous prompts such as one point); the best one is trained. */
  multimask?: boolean;
}

export interface StepLosses {
  total: number;
  terms: Partial<Record<LossTerm, number>>;
}

export interface OptimizerSettings {
  /** 'adamw': decoupled weight decay (torch.optim.AdamW); 'adam': L2 added to the gradient (torch.optim.Adam). */
  kind: 'adamw' | 'adam';
  learningRate: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** torch.optim.AdamW's defaults, with the learning rate the seed recipe used. */
export const DEFAULT_OPTIMIZER: OptimizerSettings = { kind: 'adamw', learningRate: 1e-4, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Adam/AdamW with PyTorch's update order and bias correction, over the decoder's trainable Variables. */
export class DecoderOptimizer {
  private readonly moments = new Map<string, { first: Variable; second: Variable }>();
  private stepCount = 0;

  constructor(
    private readonly tf: Tf,
    private readonly variables: ReadonlyMap<string, Variable>,
    readonly settings: OptimizerSettings,
  ) {
    for (const [name, variable] of variables) {
      this.moments.set(name, { first: tf.variable(tf.zerosLike(variable), false), second: tf.variable(tf.zerosLike(variable), false) });
    }
  }

  get steps(): number {
    return this.stepCount;
  }

  /** Applies one update from gradients keyed by official name; parameters without a gradient are left alone (as PyTorch skips grad=None). */
  apply(gradients: ReadonlyMap<string, Tensor>): void {
    const { tf, settings } = this;
    this.stepCount++;
    const firstCorrection = 1 - settings.beta1 ** this.stepCount;
    const secondCorrection = 1 - settings.beta2 ** this.stepCount;
    const stepSize = settings.learningRate / firstCorrection;
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        let gradient = gradients.get(name);
        if (!gradient) continue;
        const { first, second } = this.moments.get(name)!;
        let parameter: Tensor = variable;
        if (settings.kind === 'adamw') parameter = tf.mul(parameter, 1 - settings.learningRate * settings.weightDecay);
        else if (settings.weightDecay !== 0) gradient = tf.add(gradient, tf.mul(variable, settings.weightDecay));
        first.assign(tf.add(tf.mul(first, settings.beta1), tf.mul(gradient, 1 - settings.beta1)));
        second.assign(tf.add(tf.mul(second, settings.beta2), tf.mul(tf.square(gradient), 1 - settings.beta2)));
        const denominator = tf.add(tf.div(tf.sqrt(second), Math.sqrt(secondCorrection)), settings.epsilon);
        variable.assign(tf.sub(parameter, tf.mul(tf.div(first, denominator), stepSize)));
      }
    });
  }

  dispose(): void {
    for (const { first, second } of this.moments.values()) {
      first.dispose();
      second.dispose();
    }
    this.moments.clear();
  }
}

/** Samples that can share one forward pass: same number of points, same mask_input presence, same multimask. */
function groupSamples(samples: readonly TrainingSample[]): TrainingSample[][] {
  const groups = new Map<string, TrainingSample[]>();
  for (const sample of samples) {
    const key = `${sample.pointLabels.length}/${sample.maskInput !== undefined}/${sample.multimask === true}`;
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  return [...groups.values()];
}

function stackArrays(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const array of arrays) {
    out.set(array, offset);
    offset += array.length;
  }
  return out;
}

/** Checks a sample's sizes against the model: a corrupt cached embedding must fail with a message, not a shape error. */
function checkSample(sample: TrainingSample, channels: number): { side: number } {
  const side = Math.sqrt(sample.embedding.length / channels);
  const maskPixels = 16 * side * side;
  const problem =
    !Number.isInteger(side) || side === 0
      ? `its embedding has ${sample.embedding.length} values, not ${channels} x h x w`
      : sample.pointCoords.length !== 2 * sample.pointLabels.length || sample.pointLabels.length === 0
        ? `it has ${sample.pointCoords.length} point coordinates for ${sample.pointLabels.length} labels`
        : sample.gtMask256.length !== maskPixels
          ? `its ground-truth mask has ${sample.gtMask256.length} pixels, not ${maskPixels}`
          : sample.maskInput && sample.maskInput.length !== maskPixels
            ? `its mask input has ${sample.maskInput.length} pixels, not ${maskPixels}`
            : undefined;
  if (problem) throw new MaskLoopError('TRAINING', `A training sample cannot be used: ${problem}. Recompute the image's embedding and try again.`);
  return { side };
}

/**
 * The batch loss and its gradient for every trainable parameter (official name -> Tensor, same shape). Run inside
 * tf.tidy or dispose the gradients. Parameters the loss does not reach have no entry.
 */
export function lossAndGradients(
  tf: Tf,
  model: DecoderVariables,
  samples: readonly TrainingSample[],
  config: LossConfig,
): { losses: StepLosses; gradients: Map<string, Tensor> } {
  if (samples.length === 0) throw new MaskLoopError('TRAINING', 'A training step needs at least one sample.');
  const [, channels] = model.param('mask_decoder.iou_token.weight').shape as number[];
  const side = checkSample(samples[0], channels).side;
  for (const sample of samples) {
    if (checkSample(sample, channels).side !== side) throw new MaskLoopError('TRAINING', 'The samples of one batch have embeddings of different sizes.');
  }
  const termTotals: Partial<Record<LossTerm, Scalar>> = {};
  const names = [...model.trainable.keys()];
  const { value, grads } = tf.variableGrads(() => {
    let total: Scalar = tf.scalar(0);
    for (const group of groupSamples(samples)) {
      const batch = group.length;
      const points = group[0].pointLabels.length;
      const maskShape = [batch, 1, 4 * side, 4 * side];
      const outputs = predictMasks(
        tf,
        model,
        {
          imageEmbeddings: tf.tensor4d(stackArrays(group.map((s) => s.embedding)), [batch, channels, side, side]),
          pointCoords: tf.tensor3d(stackArrays(group.map((s) => s.pointCoords)), [batch, points, 2]),
          pointLabels: tf.tensor2d(stackArrays(group.map((s) => s.pointLabels)), [batch, points]),
          maskInput: group[0].maskInput ? tf.tensor(stackArrays(group.map((s) => s.maskInput!)), maskShape) : undefined,
        },
        group[0].multimask === true,
      );
      const targets = tf.tensor(stackArrays(group.map((s) => s.gtMask256)), maskShape);
      const result = decoderLoss(tf, outputs.lowResLogits, outputs.iouPredictions, targets, config);
      const share = batch / samples.length;
      total = tf.add<Scalar>(total, tf.mul(result.total, share));
      for (const term of LOSS_TERMS) {
        const part = result.terms[term];
        if (part) termTotals[term] = tf.add<Scalar>(termTotals[term] ?? tf.scalar(0), tf.mul(part, share));
      }
    }
    // The term values outlive variableGrads' own tidy so that they can be read below.
    for (const part of Object.values(termTotals)) tf.keep(part);
    return total;
  }, [...model.trainable.values()]);

  const gradients = new Map<string, Tensor>();
  const variables = [...model.trainable.values()];
  variables.forEach((variable, i) => {
    const gradient = grads[variable.name];
    if (gradient) gradients.set(names[i], gradient);
  });
  const terms: Partial<Record<LossTerm, number>> = {};
  for (const term of LOSS_TERMS) {
    const part = termTotals[term];
    if (!part) continue;
    terms[term] = part.dataSync()[0];
    part.dispose();
  }
  const total = value.dataSync()[0];
  value.dispose();
  return { losses: { total, terms }, gradients };
}

/** One optimiser step on `samples` (any mix of prompts); tensors created here are all released before it returns. */
export function trainStep(tf: Tf, model: DecoderVariables, optimizer: DecoderOptimizer, samples: readonly TrainingSample[], config: LossConfig): StepLosses {
  let losses: StepLosses = { total: Number.NaN, terms: {} };
  tf.tidy(() => {
    const result = lossAndGradients(tf, model, samples, config);
    optimizer.apply(result.gradients);
    losses = result.losses;
  });
  return losses;
}
