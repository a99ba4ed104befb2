// SAM's mask decoder (MaskDecoder.predict_masks, segment_anything/modeling/mask_decoder.py) as an ONNX subgraph read from a StateDict.
import type { StateDict } from './checkpoint/state-dict.js';
import type { GraphBuilder } from './onnx/graph-builder.js';
import { gelu, layerNorm, linear, relu } from './onnx/layers.js';
import { twoWayTransformer } from './two-way-transformer.js';
import type { SamDecoderConfig } from './variants.js';

const PREFIX = 'mask_decoder';
/** common.LayerNorm2d's epsilon. */
const LAYER_NORM_2D_EPS = 1e-6;
/** MaskDecoder's hypernetwork MLPs always have three layers. */
const HYPERNETWORK_DEPTH = 3;

export interface MaskDecoderInputs {
  /** float32[1,C,h,w] */
  imageEmbeddings: string;
  /** get_dense_pe(), channels last: float32[h*w, C] */
  imagePe: string;
  /** float32[1,N,C] */
  sparseEmbeddings: string;
  /** float32[1,C,h,w] */
  denseEmbeddings: string;
}

/** Which mask tokens' outputs to compute: index 0 is the single-mask output, 1..3 the multimask ones. */
export interface MaskSelection {
  first: number;
  count: number;
}

export interface MaskDecoderOutputs {
  /** float32[1,count,4h,4w] low-res mask logits */
  masks: string;
  /** float32[1,count] */
  iouPredictions: string;
}

/**
 * MaskDecoder.predict_masks for one prompt set. Every mask token takes part in the transformer; only the
 * selected ones are turned into masks and IoU predictions.
 */
export function predictMasks(
  g: GraphBuilder,
  sd: StateDict,
  inputs: MaskDecoderInputs,
  options: { config: SamDecoderConfig; gridSize: readonly [number, number]; selection: MaskSelection },
): MaskDecoderOutputs {
  const { config, selection } = options;
  const [gridHeight, gridWidth] = options.gridSize;
  const iouTokenName = `${PREFIX}.iou_token.weight`;
  const maskTokensName = `${PREFIX}.mask_tokens.weight`;
  const channels = sd.info(iouTokenName).shape[1];
  const maskTokenCount = config.numMultimaskOutputs + 1;

  const outputTokensData = new Float32Array((1 + maskTokenCount) * channels);
  outputTokensData.set(sd.float32(iouTokenName), 0);
  outputTokensData.set(sd.float32(maskTokensName), channels);
  const outputTokens = g.weight(`${PREFIX}.output_tokens`, outputTokensData, [1 + maskTokenCount, channels]);
  const sparse = g.op('Reshape', [inputs.sparseEmbeddings, g.ints([-1, channels])]);
  const tokens = g.op('Concat', [outputTokens, sparse], { axis: 0 }); // [T, C]

  const src = g.op('Add', [inputs.imageEmbeddings, inputs.denseEmbeddings]); // [1,C,h,w]
  const image = g.op('Transpose', [g.op('Reshape', [src, g.ints([channels, -1])])], { perm: [1, 0] }); // [hw, C]
  const { queries, keys } = twoWayTransformer(
    g,
    sd,
    { image, imagePe: inputs.imagePe, tokens },
    { depth: config.transformerDepth, numHeads: config.numHeads },
  );

  const upscaled = outputUpscaling(g, sd, keys); // [16hw, C/8]
  const hyperIn: string[] = [];
  for (let i = selection.first; i < selection.first + selection.count; i++) {
    const maskToken = g.op('Gather', [queries, g.ints([1 + i])], { axis: 0 }); // [1, C]
    hyperIn.push(mlp(g, sd, maskToken, `${PREFIX}.output_hypernetworks_mlps.${i}`, HYPERNETWORK_DEPTH));
  }
  const hyperInStacked = hyperIn.length === 1 ? hyperIn[0] : g.op('Concat', hyperIn, { axis: 0 }); // [K, C/8]
  const maskPixels = g.op('MatMul', [upscaled, g.op('Transpose', [hyperInStacked], { perm: [1, 0] })]); // [16hw, K]
  const masks = pixelsToMaskGrid(g, maskPixels, gridHeight, gridWidth, selection.count);

  const iouToken = g.op('Gather', [queries, g.ints([0])], { axis: 0 }); // [1, C]
  const iouAll = mlp(g, sd, iouToken, `${PREFIX}.iou_prediction_head`, config.iouHeadDepth); // [1, maskTokenCount]
  const iouPredictions =
    selection.count === maskTokenCount
      ? iouAll
      : g.op('Slice', [iouAll, g.ints([selection.first]), g.ints([selection.first + selection.count]), g.ints([1])]);
  return { masks, iouPredictions };
}

/**
 * output_upscaling: ConvTranspose 2x2 s2 -> LayerNorm2d -> GELU -> ConvTranspose 2x2 s2 -> GELU, channels last.
 * A ConvTranspose whose stride equals its kernel is one matrix product per input cell; its output keeps each cell's
 * 2x2 children together, so rows come out ordered (i, j, a, b, a2, b2): pixel (4i + 2a + a2, 4j + 2b + b2).
 * in: keys float32[hw, C]; out: float32[16hw, C/8]
 */
function outputUpscaling(g: GraphBuilder, sd: StateDict, keys: string): string {
  const layer = (index: number): string => `${PREFIX}.output_upscaling.${index}`;
  const first = convTranspose2x2ChannelsLast(g, sd, keys, layer(0)); // [4hw, C/4]
  const normalised = gelu(g, layerNorm(g, sd, first, layer(1), LAYER_NORM_2D_EPS));
  return gelu(g, convTranspose2x2ChannelsLast(g, sd, normalised, layer(3)));
}

/**
 * torch.nn.ConvTranspose2d(kernel 2, stride 2) on channels-last cells: weight [in, out, 2, 2] becomes a
 * [in, 4*out] matrix with columns ordered (a, b, out), so that each input row yields its 4 children's rows.
 * in: float32[n, in]; out: float32[4n, out]
 */
function convTranspose2x2ChannelsLast(g: GraphBuilder, sd: StateDict, x: string, prefix: string): string {
  const [inChannels, outChannels, kernelHeight, kernelWidth] = sd.info(`${prefix}.weight`).shape;
  const children = kernelHeight * kernelWidth;
  const weight = sd.float32(`${prefix}.weight`);
  const bias = sd.float32(`${prefix}.bias`);
  const matrix = new Float32Array(weight.length);
  const tiledBias = new Float32Array(children * outChannels);
  for (let child = 0; child < children; child++) {
    tiledBias.set(bias, child * outChannels);
    for (let i = 0; i < inChannels; i++) {
      for (let o = 0; o < outChannels; o++) {
        matrix[i * children * outChannels + child * outChannels + o] = weight[(i * outChannels + o) * children + child];
      }
    }
  }
  const product = g.op('MatMul', [x, g.weight(`${prefix}.weight_cells`, matrix, [inChannels, children * outChannels])]);
  const withBias = g.op('Add', [product, g.weight(`${prefix}.bias_cells`, tiledBias, [children * outChannels])]);
  return g.op('Reshape', [withBias, g.ints([-1, outChannels])]);
}

/**
 * Mask logits per upscaled row (i, j, a, b, a2, b2) -> image layout.
 * in: float32[16hw, K]; out: float32[1, K, 4h, 4w]
 */
function pixelsToMaskGrid(g: GraphBuilder, maskPixels: string, gridHeight: number, gridWidth: number, count: number): string {
  const cells = g.op('Reshape', [maskPixels, g.ints([gridHeight, gridWidth, 2, 2, 2, 2, count])]);
  // (i, j, a, b, a2, b2, K) -> (K, i, a, a2, j, b, b2)
  const ordered = g.op('Transpose', [cells], { perm: [6, 0, 2, 4, 1, 3, 5] });
  return g.op('Reshape', [ordered, g.ints([1, count, 4 * gridHeight, 4 * gridWidth])]);
}

/** mask_decoder.MLP: `depth` Linear layers with ReLU between them (none after the last). */
function mlp(g: GraphBuilder, sd: StateDict, x: string, prefix: string, depth: number): string {
  let out = x;
  for (let i = 0; i < depth; i++) {
    if (i > 0) out = relu(g, out);
    out = linear(g, sd, out, `${prefix}.layers.${i}`);
  }
  return out;
}
