// SAM's prompt encoder as ONNX subgraphs (the traceable form of segment_anything/utils/onnx.py), read from a StateDict.
import type { StateDict } from './checkpoint/state-dict.js';
import type { GraphBuilder } from './onnx/graph-builder.js';
import { gelu, layerNorm2d } from './onnx/layers.js';

const PREFIX = 'prompt_encoder';
const GAUSSIAN_MATRIX = `${PREFIX}.pe_layer.positional_encoding_gaussian_matrix`;
/** The label of padding points, which get not_a_point_embed and no positional encoding. */
const NOT_A_POINT_LABEL = -1;
const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT, for Cast's `to`

export interface PromptInputs {
  /** float32[1,N,2], (x, y) in the 1024 frame */
  pointCoords: string;
  /** float32[1,N]: -1 padding, 0 background, 1 foreground, 2 box top-left, 3 box bottom-right */
  pointLabels: string;
  /** float32[1,1,4h,4w] low-res logits of an earlier prediction */
  maskInput: string;
  /** float32[1]: 1 when mask_input holds a mask, 0 when it is to be ignored */
  hasMaskInput: string;
}

export interface PromptEmbeddings {
  /** float32[1,N,C] */
  sparseEmbeddings: string;
  /** float32[1,C,h,w] */
  denseEmbeddings: string;
  /** get_dense_pe(), channels last as the transformer consumes it: float32[h*w, C] */
  imagePe: string;
}

/**
 * The prompt encoder's part of SamOnnxModel.forward: _embed_points, _embed_masks and get_dense_pe.
 * `imgSize` is the side of the 1024 frame, `gridSize` the embedding's (h, w).
 */
export function encodePrompts(
  g: GraphBuilder,
  sd: StateDict,
  inputs: PromptInputs,
  geometry: { imgSize: number; gridSize: readonly [number, number] },
): PromptEmbeddings {
  const gaussian = g.weight(GAUSSIAN_MATRIX, sd.float32(GAUSSIAN_MATRIX), sd.info(GAUSSIAN_MATRIX).shape);
  return {
    sparseEmbeddings: embedPoints(g, sd, gaussian, inputs.pointCoords, inputs.pointLabels, geometry.imgSize),
    denseEmbeddings: embedMasks(g, sd, inputs.maskInput, inputs.hasMaskInput),
    imagePe: densePositionalEncoding(g, gaussian, geometry.gridSize[0], geometry.gridSize[1]),
  };
}

/**
 * PositionEmbeddingRandom._pe_encoding: coords float32[..., 2] normalised to [0,1] (x, y) -> float32[..., C]
 * as [sin | cos] of 2*pi*(2*coords - 1) @ gaussian_matrix[2, C/2].
 */
function peEncoding(g: GraphBuilder, gaussian: string, coords: string): string {
  const centred = g.op('Sub', [g.op('Mul', [coords, g.floats([2])]), g.floats([1])]);
  const angles = g.op('Mul', [g.op('MatMul', [centred, gaussian]), g.floats([2 * Math.PI])]);
  return g.op('Concat', [g.op('Sin', [angles]), g.op('Cos', [angles])], { axis: -1 });
}

/**
 * SamOnnxModel._embed_points: the sparse prompt embeddings.
 * in: point_coords float32[1,N,2] (x, y in the 1024 frame), point_labels float32[1,N]
 *     (-1 padding, 0 background, 1 foreground, 2 box top-left, 3 box bottom-right)
 * out: float32[1,N,C]
 */
function embedPoints(g: GraphBuilder, sd: StateDict, gaussian: string, pointCoords: string, pointLabels: string, imgSize: number): string {
  const shifted = g.op('Add', [pointCoords, g.floats([0.5])]);
  const positional = peEncoding(g, gaussian, g.op('Div', [shifted, g.floats([imgSize])]));

  const labels = g.op('Unsqueeze', [pointLabels, g.ints([2])]); // [1,N,1]
  const isPoint = g.op('Cast', [g.op('Not', [g.op('Equal', [labels, g.floats([NOT_A_POINT_LABEL])])])], { to: FLOAT });
  // One-hot over [-1, 0, 1, 2, 3] times the table [not_a_point_embed; point_embeddings 0..3] adds exactly the
  // one embedding whose label matches, as the official sum of `embedding * (labels == i)` does.
  const { labels: tableLabels, table, dims } = labelEmbeddingTable(sd);
  const oneHot = g.op('Cast', [g.op('Equal', [labels, g.floats(tableLabels)])], { to: FLOAT }); // [1,N,L]
  const labelEmbedding = g.op('MatMul', [oneHot, g.weight(`${PREFIX}.label_embeddings`, table, dims)]);
  return g.op('Add', [g.op('Mul', [positional, isPoint]), labelEmbedding]);
}

function labelEmbeddingTable(sd: StateDict): { labels: number[]; table: Float32Array; dims: number[] } {
  const rows = [`${PREFIX}.not_a_point_embed.weight`];
  const labels = [NOT_A_POINT_LABEL];
  for (let i = 0; sd.has(`${PREFIX}.point_embeddings.${i}.weight`); i++) {
    rows.push(`${PREFIX}.point_embeddings.${i}.weight`);
    labels.push(i);
  }
  const channels = sd.info(rows[0]).shape[1];
  const table = new Float32Array(rows.length * channels);
  rows.forEach((name, row) => table.set(sd.float32(name), row * channels));
  return { labels, table, dims: [rows.length, channels] };
}

/**
 * SamOnnxModel._embed_masks: the dense prompt embedding, mask_downscaling(mask_input) when has_mask_input is 1,
 * no_mask_embed when it is 0.
 * in: mask_input float32[1,1,4h,4w] (low-res logits), has_mask_input float32[1]
 * out: float32[1,C,h,w]
 */
function embedMasks(g: GraphBuilder, sd: StateDict, maskInput: string, hasMaskInput: string): string {
  const layer = (index: number): string => `${PREFIX}.mask_downscaling.${index}`;
  let x = gelu(g, layerNorm2d(g, sd, conv2d(g, sd, maskInput, layer(0)), layer(1)));
  x = gelu(g, layerNorm2d(g, sd, conv2d(g, sd, x, layer(3)), layer(4)));
  x = conv2d(g, sd, x, layer(6));

  const noMaskName = `${PREFIX}.no_mask_embed.weight`;
  const channels = sd.info(noMaskName).shape[1];
  const noMask = g.weight(noMaskName, sd.float32(noMaskName), [1, channels, 1, 1]);
  const hasNoMask = g.op('Sub', [g.floats([1]), hasMaskInput]);
  return g.op('Add', [g.op('Mul', [hasMaskInput, x]), g.op('Mul', [hasNoMask, noMask])]);
}

/** torch.nn.Conv2d with stride = kernel size and no padding (all of mask_downscaling's convolutions). */
function conv2d(g: GraphBuilder, sd: StateDict, x: string, prefix: string): string {
  const shape = sd.info(`${prefix}.weight`).shape; // [out, in, kH, kW]
  const weight = g.weight(`${prefix}.weight`, sd.float32(`${prefix}.weight`), shape);
  const bias = g.weight(`${prefix}.bias`, sd.float32(`${prefix}.bias`), [shape[0]]);
  const kernel = [shape[2], shape[3]];
  return g.op('Conv', [x, weight, bias], { kernel_shape: kernel, strides: kernel });
}

/**
 * PromptEncoder.get_dense_pe: the positional encoding of every cell centre of the embedding grid, channels last.
 * Its only input is a constant, so ONNX Runtime folds it into a constant when the session starts.
 * out: float32[gridH*gridW, C]
 */
function densePositionalEncoding(g: GraphBuilder, gaussian: string, gridHeight: number, gridWidth: number): string {
  const cellCentres = new Float32Array(gridHeight * gridWidth * 2); // (x, y) normalised to [0,1], row-major cells
  for (let row = 0; row < gridHeight; row++) {
    for (let col = 0; col < gridWidth; col++) {
      cellCentres[2 * (row * gridWidth + col)] = (col + 0.5) / gridWidth;
      cellCentres[2 * (row * gridWidth + col) + 1] = (row + 0.5) / gridHeight;
    }
  }
  const grid = g.initializer(`${PREFIX}.dense_pe_grid`, { type: 'float32', data: cellCentres, dims: [gridHeight * gridWidth, 2] });
  return peEncoding(g, gaussian, grid);
}
