// PyTorch layers shared by SAM's prompt encoder and mask decoder (Linear, LayerNorm, LayerNorm2d, GELU, MLP) in TensorFlow.js.
import type { GradSaveFunc, Tensor } from '@tensorflow/tfjs';
import type { Tf } from './engine.js';

/** Where a layer finds its weights: by official SAM name (`mask_decoder.iou_token.weight`), in PyTorch's layout. */
export interface WeightLookup {
  param(name: string): Tensor;
}

/** torch.nn.LayerNorm's default epsilon, used by the transformer's norms. */
export const LAYER_NORM_EPS = 1e-5;
/** SAM's LayerNorm2d epsilon. */
export const LAYER_NORM_2D_EPS = 1e-6;

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

/** torch.nn.Linear: x float32[..., in] -> float32[..., out]; the weight stays in PyTorch's [out, in] layout. */
export function linear(tf: Tf, w: WeightLookup, x: Tensor, prefix: string): Tensor {
  const weight = w.param(`${prefix}.weight`);
  const [outFeatures, inFeatures] = weight.shape as number[];
  const rows = x.reshape([-1, inFeatures]);
  const y = tf.add(matMul(tf, rows, tf.transpose(weight)), w.param(`${prefix}.bias`));
  return y.reshape([...x.shape.slice(0, -1), outFeatures]);
}

/** Normalisation over the last axis with an affine scale and shift: torch.nn.LayerNorm on float32[..., C]. */
export function layerNorm(tf: Tf, w: WeightLookup, x: Tensor, prefix: string, epsilon = LAYER_NORM_EPS): Tensor {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  const normalised = tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(normalised, w.param(`${prefix}.weight`)), w.param(`${prefix}.bias`));
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
