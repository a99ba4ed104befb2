// SAM's MaskDecoder (and Sam.forward's prompt encoder -> decoder pass) in TensorFlow.js, for training the decoder.
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import type { Tf } from './engine.js';
import { gelu, layerNorm2d, matMul, mlp, transposeLastTwo, type WeightLookup } from './layers.js';
import { promptEncoder } from './prompt-encoder.js';
import { twoWayTransformer } from './transformer.js';

const PREFIX = 'mask_decoder';

/** What the forward pass needs to know beyond the tensors themselves (SAM's build_sam constants and counts read from the weights). */
export interface DecoderArchitecture {
  transformerDepth: number;
  numHeads: number;
  /** num_multimask_outputs + 1 */
  numMaskTokens: number;
  iouHeadDepth: number;
  /** Linear layers per output hypernetwork MLP (3). */
  hypernetworkDepth: number;
  /** Side of the square frame the prompts are given in (1024). */
  inputImageSize: number;
}

export interface DecoderModel extends WeightLookup {
  readonly architecture: DecoderArchitecture;
  /** get_dense_pe() for an embedding grid, float32[1,h*w,C]; the prompt encoder is frozen, so it may be computed once. */
  imagePe(gridSize: readonly [number, number]): Tensor;
}

export interface PredictInputs {
  /** float32[B,C,h,w] image encoder output (C=256, h=w=64 for SAM) */
  imageEmbeddings: Tensor4D;
  /** float32[B,N,2] (x, y) in the 1024 frame */
  pointCoords: Tensor;
  /** float32[B,N]: -1 pad, 0 negative, 1 positive, 2/3 box corners */
  pointLabels: Tensor;
  /** float32[B,1,4h,4w] low-res logits of an earlier round */
  maskInput?: Tensor;
}

export interface PredictOutputs {
  /** float32[B,K,4h,4w] mask logits (K = 1, or 3 with multimask) */
  lowResLogits: Tensor4D;
  /** float32[B,K] */
  iouPredictions: Tensor2D;
}

/**
 * Sam.forward / SamPredictor.predict_torch: prompt encoder, then the mask decoder with the image PE; multimask keeps
 * masks 1..K-1, else mask 0 only.
 */
export function predictMasks(tf: Tf, model: DecoderModel, inputs: PredictInputs, multimask: boolean): PredictOutputs {
  const [batch, channels, height, width] = inputs.imageEmbeddings.shape;
  const prompts = promptEncoder(tf, model, inputs, model.architecture.inputImageSize);
  const imageTokens = inputs.imageEmbeddings.transpose([0, 2, 3, 1]).reshape([batch, height * width, channels]);
  const decoded = maskDecoder(tf, model, {
    imageTokens,
    gridSize: [height, width],
    imagePe: model.imagePe([height, width]),
    sparse: prompts.sparse,
    dense: prompts.dense,
  });
  const first = multimask ? 1 : 0;
  const count = multimask ? model.architecture.numMaskTokens - 1 : 1;
  return {
    lowResLogits: decoded.masks.slice([0, first, 0, 0], [-1, count, -1, -1]) as Tensor4D,
    iouPredictions: decoded.iouPredictions.slice([0, first], [-1, count]) as Tensor2D,
  };
}

/**
 * MaskDecoder.predict_masks, channels-last. All mask tokens are decoded (as SAM does, so that every hypernetwork
 * gets a gradient, zero where its mask is not used).
 * in: imageTokens float32[B,h*w,C], imagePe float32[1,h*w,C], sparse float32[B,N,C], dense float32[B,h*w,C] or [1,1,C]
 * out: masks float32[B,M,4h,4w], iouPredictions float32[B,M] (M = numMaskTokens)
 */
export function maskDecoder(
  tf: Tf,
  model: DecoderModel,
  inputs: { imageTokens: Tensor; gridSize: readonly [number, number]; imagePe: Tensor; sparse: Tensor; dense: Tensor },
): { masks: Tensor4D; iouPredictions: Tensor2D } {
  const { numMaskTokens, hypernetworkDepth, iouHeadDepth } = model.architecture;
  const [batch, , channels] = inputs.sparse.shape;
  const outputTokens = tf.concat([model.param(`${PREFIX}.iou_token.weight`), model.param(`${PREFIX}.mask_tokens.weight`)], 0); // [1+M,C]
  const tokens = tf.concat([tf.tile(outputTokens.expandDims(0), [batch, 1, 1]), inputs.sparse], 1); // [B,1+M+N,C]
  const source = tf.add(inputs.imageTokens, inputs.dense); // [B,h*w,C]

  const { queries, keys } = twoWayTransformer(
    tf,
    model,
    `${PREFIX}.transformer`,
    { imageTokens: source, imagePe: inputs.imagePe, pointEmbedding: tokens },
    { depth: model.architecture.transformerDepth, numHeads: model.architecture.numHeads },
  );
  const iouTokenOut = queries.slice([0, 0, 0], [-1, 1, -1]).reshape([batch, channels]); // [B,C]
  const maskTokensOut = queries.slice([0, 1, 0], [-1, numMaskTokens, -1]); // [B,M,C]

  const [height, width] = inputs.gridSize;
  const upscaled = outputUpscaling(tf, model, keys.reshape([batch, height, width, channels])); // [B,4h,4w,C/8]
  const [, maskHeight, maskWidth, maskChannels] = upscaled.shape;
  const hyperIn = tf.stack(
    Array.from({ length: numMaskTokens }, (_, i) =>
      mlp(tf, model, maskTokensOut.slice([0, i, 0], [-1, 1, -1]).reshape([batch, channels]), `${PREFIX}.output_hypernetworks_mlps.${i}`, hypernetworkDepth),
    ),
    1,
  ); // [B,M,C/8]
  const pixels = transposeLastTwo(tf, upscaled.reshape([batch, maskHeight * maskWidth, maskChannels])); // [B,C/8,4h*4w]
  const masks = matMul(tf, hyperIn, pixels).reshape([batch, numMaskTokens, maskHeight, maskWidth]) as Tensor4D;
  const iouPredictions = mlp(tf, model, iouTokenOut, `${PREFIX}.iou_prediction_head`, iouHeadDepth) as Tensor2D; // [B,M]
  return { masks, iouPredictions };
}

/**
 * output_upscaling: ConvTranspose2d 2x2/2, LayerNorm2d, GELU, ConvTranspose2d 2x2/2, GELU.
 * in: float32[B,h,w,C] channels-last; out: float32[B,4h,4w,C/8]
 */
function outputUpscaling(tf: Tf, model: DecoderModel, x: Tensor): Tensor {
  let y = convTranspose2x2(tf, model, x, `${PREFIX}.output_upscaling.0`);
  y = gelu(tf, layerNorm2d(tf, model, y, `${PREFIX}.output_upscaling.1`));
  return gelu(tf, convTranspose2x2(tf, model, y, `${PREFIX}.output_upscaling.3`));
}

/**
 * torch ConvTranspose2d(kernel 2, stride 2, no padding), weight in PyTorch's [Cin,Cout,2,2] layout. The 2x2 output
 * patches do not overlap: out[2i+a, 2j+b, o] = sum_c x[i,j,c] * W[c,o,a,b] + bias[o], so it is one matmul and a
 * reshuffle, with gradients on every backend (the wasm backend has no Conv2DBackpropFilter kernel).
 * in: float32[B,H,W,Cin]; out: float32[B,2H,2W,Cout]
 */
function convTranspose2x2(tf: Tf, model: DecoderModel, x: Tensor, prefix: string): Tensor {
  const weight = model.param(`${prefix}.weight`); // [Cin,Cout,2,2]
  const [inChannels, outChannels] = weight.shape;
  const [batch, height, width] = x.shape;
  const patchWeights = weight.transpose([0, 2, 3, 1]).reshape([inChannels, 4 * outChannels]); // [Cin, (a,b,o)]
  const patches = matMul(tf, x.reshape([batch * height * width, inChannels]), patchWeights); // [(B,i,j), (a,b,o)]
  const rows = patches.reshape([batch * height, width, 2, 2 * outChannels]).transpose([0, 2, 1, 3]); // [(B,i), a, j, (b,o)]
  return tf.add(rows.reshape([batch, 2 * height, 2 * width, outChannels]), model.param(`${prefix}.bias`));
}
