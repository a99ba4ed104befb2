// PyTorch layers shared by SAM's prompt encoder and mask decoder (Linear, LayerNorm, LayerNorm2d, GELU, MLP) in TensorFlow.js.
import type { GradSaveFunc, Tensor, Variable } from '@tensorflow/tfjs';
import type { Tf } from './engine.js';

/** Where a layer finds its weights: by official SAM name (`mask_decoder.iou_token.weight`), in PyTorch's layout. */
export interface WeightLookup {
  param(name: string): Tensor;
}

/** torch.nn.LayerNorm's default epsilon, used by the transformer's norms. */
const LAYER_NORM_EPS = 1e-5;
/** SAM's LayerNorm2d epsilon. */
const LAYER_NORM_2D_EPS = 1e-6;

/** Swaps the last two axes: float32[..., M, N] -> float32[..., N, M]. */
export function transposeLastTwo(tf: Tf, x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm.splice(-2, 2, x.rank - 1, x.rank - 2);
  return tf.transpose(x, perm);
}

/**
 * a @ b using only untransposed matmul kernels, forward and backward. The wasm backend's BatchMatMul is 5-8x slower
 * with transposeA/transposeB (measured on [4096,256] x [256,128]) and tf.matMul's own gradient uses exactly those;
 * this gradient transposes the operands explicitly instead, which costs far less.
 * in: a float32[..., M, K], b float32[..., K, N] (same leading axes); out: float32[..., M, N]
 */
export function matMul(tf: Tf, a: Tensor, b: Tensor): Tensor {
  const product = tf.customGrad((left, right, save) => {
    const [x, y] = [left as Tensor, right as Tensor];
    (save as GradSaveFunc)([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: Tensor, saved: Tensor[]) => [tf.matMul(dy, transposeLastTwo(tf, saved[1])), tf.matMul(transposeLastTwo(tf, saved[0]), dy)],
    };
  });
  return product(a, b);
}

/** Sums float32[N, C] over its rows with a matmul (the wasm Sum kernel transposes first unless it reduces the last axis): out float32[C]. */
function columnSums(tf: Tf, x: Tensor): Tensor {
  const [rows, columns] = x.shape as number[];
  return tf.matMul(tf.ones([1, rows]), x).reshape([columns]);
}

function isTrainableVariable(tensor: Tensor): boolean {
  return (tensor as Partial<Variable>).trainable === true;
}

/**
 * torch.nn.Linear: x float32[..., in] -> float32[..., out]; the weight stays in PyTorch's [out, in] layout. The
 * gradient is written out so that it needs no transposed matmul, no Sum over rows and as few transposes as the
 * shapes allow, and it computes only what training needs: no weight gradient for frozen weights, no input
 * gradient when the caller says the input depends on no trainable parameter (`constantInput`).
 */
export function linear(tf: Tf, w: WeightLookup, x: Tensor, prefix: string, options: { constantInput?: boolean } = {}): Tensor {
  const weight = w.param(`${prefix}.weight`);
  const bias = w.param(`${prefix}.bias`);
  const [outFeatures, inFeatures] = weight.shape as number[];
  const rows = x.reshape([-1, inFeatures]); // [N,in]
  const [rowCount] = rows.shape as number[];
  const forward = (): Tensor =>
    tf.add(
      // Transpose whichever is smaller: the weight, or the few rows of a token-side input and its output.
      rowCount * (inFeatures + outFeatures) < inFeatures * outFeatures ? tf.transpose(tf.matMul(weight, tf.transpose(rows))) : tf.matMul(rows, tf.transpose(weight)),
      bias,
    );
  const learnsWeights = isTrainableVariable(weight);
  const passesGradient = options.constantInput !== true;
  const inputs = [...(passesGradient ? [rows] : []), ...(learnsWeights ? [weight, bias] : [])];
  if (inputs.length === 0) return forward().reshape([...x.shape.slice(0, -1), outFeatures]);
  const affine = tf.customGrad((...args) => {
    (args[inputs.length] as GradSaveFunc)([rows, weight]);
    return {
      value: forward(),
      gradFunc: (dy: Tensor, [savedRows, savedWeight]: Tensor[]) => [
        ...(passesGradient ? [tf.matMul(dy, savedWeight)] : []),
        ...(learnsWeights
          ? [
              outFeatures <= inFeatures ? tf.matMul(tf.transpose(dy), savedRows) : tf.transpose(tf.matMul(tf.transpose(savedRows), dy)),
              columnSums(tf, dy),
            ]
          : []),
      ],
    };
  });
  return affine(...inputs).reshape([...x.shape.slice(0, -1), outFeatures]);
}

/**
 * Normalisation over the last axis with an affine scale and shift: torch.nn.LayerNorm on float32[..., C]. The
 * gradient is the closed form dx = (g - mean(g) - x̂·mean(g·x̂)) / σ with g = dy·scale, which needs far fewer
 * kernels than differentiating the reductions one by one.
 */
export function layerNorm(tf: Tf, w: WeightLookup, x: Tensor, prefix: string, epsilon = LAYER_NORM_EPS): Tensor {
  const scale = w.param(`${prefix}.weight`);
  const [channels] = scale.shape as number[];
  const norm = tf.customGrad((input, scaleIn, shiftIn, save) => {
    const [xs, scales, shift] = [input as Tensor, scaleIn as Tensor, shiftIn as Tensor];
    const centred = tf.sub(xs, tf.mean(xs, -1, true));
    const inverseStd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), epsilon));
    const normalised = tf.mul(centred, inverseStd);
    (save as GradSaveFunc)([normalised, inverseStd, scales]);
    return {
      value: tf.add(tf.mul(normalised, scales), shift),
      gradFunc: (dy: Tensor, [savedNormalised, savedInverseStd, savedScales]: Tensor[]) => {
        const g = tf.mul(dy, savedScales);
        const projection = tf.mul(savedNormalised, tf.mean(tf.mul(g, savedNormalised), -1, true));
        const dx = tf.mul(tf.sub(tf.sub(g, tf.mean(g, -1, true)), projection), savedInverseStd);
        return [dx, columnSums(tf, tf.mul(dy, savedNormalised)), columnSums(tf, dy)];
      },
    };
  });
  return norm(x.reshape([-1, channels]), scale, w.param(`${prefix}.bias`)).reshape(x.shape);
}

/**
 * SAM's LayerNorm2d normalises over channels of an NCHW tensor; here the image-like tensors are channels-last
 * (float32[B,H,W,C]), so it is a LayerNorm over the last axis with eps 1e-6.
 */
export function layerNorm2d(tf: Tf, w: WeightLookup, x: Tensor, prefix: string): Tensor {
  return layerNorm(tf, w, x, prefix, LAYER_NORM_2D_EPS);
}

/**
 * torch.nn.GELU (exact): x * 0.5 * (1 + erf(x / sqrt(2))). TensorFlow.js's erf kernels (cpu and wasm) use
 * Abramowitz-Stegun 7.1.26 (max error 1.5e-7) and its gradient is the exact 2/sqrt(pi) * exp(-x^2).
 */
export function gelu(tf: Tf, x: Tensor): Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** SAM's MLP (mask_decoder.MLP): `layerCount` Linear layers with ReLU between them; x float32[..., in] -> float32[..., out]. */
export function mlp(tf: Tf, w: WeightLookup, x: Tensor, prefix: string, layerCount: number): Tensor {
  let y = x;
  for (let i = 0; i < layerCount; i++) {
    y = linear(tf, w, y, `${prefix}.layers.${i}`);
    if (i < layerCount - 1) y = tf.relu(y);
  }
  return y;
}
