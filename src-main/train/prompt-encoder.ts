// SAM's PromptEncoder (random-Fourier positional encoding, point/box/pad embeddings, mask downscaling) in TensorFlow.js.
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import type { Tf } from './engine.js';
import { gelu, layerNorm2d, type WeightLookup } from './layers.js';

const PREFIX = 'prompt_encoder';
/** point_embeddings 0..3: negative point, positive point, box top-left, box bottom-right. */
const POINT_EMBEDDING_COUNT = 4;
const PAD_LABEL = -1;

export interface PromptInputs {
  /** float32[B,N,2] (x, y) in the 1024 frame (the resized, padded image the encoder saw) */
  pointCoords: Tensor;
  /** float32[B,N]: -1 padding point, 0 negative, 1 positive, 2 box top-left, 3 box bottom-right */
  pointLabels: Tensor;
  /** float32[B,1,4h,4w] low-res mask logits from an earlier round (SAM's mask_input), or absent */
  maskInput?: Tensor;
}

export interface PromptEmbeddings {
  /** float32[B,N,C] */
  sparse: Tensor;
  /** float32[B,h*w,C] from mask_input, or no_mask_embed as float32[1,1,C] (broadcast over the image tokens) */
  dense: Tensor;
}

/**
 * PositionEmbeddingRandom._pe_encoding: coords in [0,1] float32[..., 2] -> float32[..., C] as
 * [sin, cos] of 2*pi * ((2*coords - 1) @ gaussian_matrix).
 */
function positionalEncoding(tf: Tf, w: WeightLookup, unitCoords: Tensor): Tensor {
  const gaussian = w.param(`${PREFIX}.pe_layer.positional_encoding_gaussian_matrix`); // [2, C/2]
  const [, halfChannels] = gaussian.shape as number[];
  const centred = tf.sub(tf.mul(unitCoords, 2), 1).reshape([-1, 2]);
  const angles = tf.mul(tf.matMul(centred, gaussian), 2 * Math.PI);
  const encoded = tf.concat([tf.sin(angles), tf.cos(angles)], -1);
  return encoded.reshape([...unitCoords.shape.slice(0, -1), 2 * halfChannels]);
}

/**
 * get_dense_pe(): the positional encoding of every embedding cell centre, flattened channels-last as the transformer
 * consumes it. out: float32[1,h*w,C], token index = row * w + column.
 */
export function denseImagePe(tf: Tf, w: WeightLookup, gridSize: readonly [number, number]): Tensor {
  const [height, width] = gridSize;
  const centres = new Float32Array(height * width * 2);
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      centres[(row * width + column) * 2] = (column + 0.5) / width;
      centres[(row * width + column) * 2 + 1] = (row + 0.5) / height;
    }
  }
  return positionalEncoding(tf, w, tf.tensor(centres, [1, height * width, 2]));
}

/**
 * Sparse embeddings the way SAM's ONNX export computes them from labelled points (a box is its two corners with
 * labels 2 and 3): PE of the pixel centre, zeroed for padding points, plus the embedding of the label.
 * in: pointCoords float32[B,N,2] (1024 frame), pointLabels float32[B,N]; out: float32[B,N,C]
 */
function embedPoints(tf: Tf, w: WeightLookup, pointCoords: Tensor, pointLabels: Tensor, inputImageSize: number): Tensor {
  const unitCoords = tf.div(tf.add(pointCoords, 0.5), inputImageSize);
  const labels = pointLabels.expandDims(-1); // [B,N,1]
  const isPad = tf.cast(tf.equal(labels, PAD_LABEL), 'float32');
  let embedding = tf.add(
    tf.mul(positionalEncoding(tf, w, unitCoords), tf.sub(1, isPad)),
    tf.mul(isPad, w.param(`${PREFIX}.not_a_point_embed.weight`)),
  );
  for (let label = 0; label < POINT_EMBEDDING_COUNT; label++) {
    const hasLabel = tf.cast(tf.equal(labels, label), 'float32');
    embedding = tf.add(embedding, tf.mul(hasLabel, w.param(`${PREFIX}.point_embeddings.${label}.weight`)));
  }
  return embedding;
}

/** torch Conv2d on channels-last x float32[B,H,W,Cin]; the weight stays in PyTorch's [Cout,Cin,kH,kW] layout. */
function conv2d(tf: Tf, w: WeightLookup, x: Tensor, prefix: string, stride: number): Tensor {
  const filter = w.param(`${prefix}.weight`).transpose([2, 3, 1, 0]); // [kH,kW,Cin,Cout]
  const y = tf.conv2d(x as Tensor4D, filter as Tensor4D, stride, 'valid');
  return tf.add(y, w.param(`${prefix}.bias`));
}

/**
 * mask_downscaling: conv 2x2/2, LayerNorm2d, GELU, conv 2x2/2, LayerNorm2d, GELU, conv 1x1.
 * in: maskInput float32[B,1,4h,4w]; out: float32[B,h*w,C] channels-last tokens
 */
function embedMask(tf: Tf, w: WeightLookup, maskInput: Tensor): Tensor {
  let x = maskInput.transpose([0, 2, 3, 1]); // [B,4h,4w,1]
  x = gelu(tf, layerNorm2d(tf, w, conv2d(tf, w, x, `${PREFIX}.mask_downscaling.0`, 2), `${PREFIX}.mask_downscaling.1`));
  x = gelu(tf, layerNorm2d(tf, w, conv2d(tf, w, x, `${PREFIX}.mask_downscaling.3`, 2), `${PREFIX}.mask_downscaling.4`));
  x = conv2d(tf, w, x, `${PREFIX}.mask_downscaling.6`, 1); // [B,h,w,C]
  const [batch, height, width, channels] = x.shape;
  return x.reshape([batch, height * width, channels]);
}

/** PromptEncoder.forward for labelled points (boxes as corner points) and an optional mask_input. */
export function promptEncoder(tf: Tf, w: WeightLookup, inputs: PromptInputs, inputImageSize: number): PromptEmbeddings {
  const sparse = embedPoints(tf, w, inputs.pointCoords, inputs.pointLabels, inputImageSize);
  const dense = inputs.maskInput
    ? embedMask(tf, w, inputs.maskInput)
    : w.param(`${PREFIX}.no_mask_embed.weight`).reshape([1, 1, -1]);
  return { sparse, dense };
}
