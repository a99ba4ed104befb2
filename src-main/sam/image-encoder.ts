// SAM's image encoder (segment-anything ImageEncoderViT) as an ONNX graph built from checkpoint weights.
import fs from 'node:fs';
import path from 'node:path';
import type { StateDict } from './checkpoint/state-dict.js';
import { GraphBuilder } from './onnx/graph-builder.js';
import { gelu, layerNorm, layerNorm2d, linear, transpose2d } from './onnx/layers.js';
import type { SamConfig, SamEncoderConfig } from './variants.js';

const PREFIX = 'image_encoder';
const LAYER_NORM_EPS = 1e-6;

/** Where the encoder's weights go: `<name>.weights` beside `<name>.onnx`. */
export function encoderWeightsPath(modelPath: string): string {
  const parsed = path.parse(modelPath);
  return path.join(parsed.dir, `${parsed.name}.weights`);
}

/**
 * Writes the image encoder to `modelPath` (graph only) and its weights to `encoderWeightsPath(modelPath)`,
 * reading one tensor at a time from `sd`, so a vit_h checkpoint is never held in memory whole.
 * in:  input_image float32[1,3,1024,1024] (normalised with SAM's pixel mean/std, padded bottom/right with zeros)
 * out: image_embeddings float32[1,256,64,64]
 */
export function buildImageEncoder(sd: StateDict, config: SamConfig, modelPath: string): void {
  const encoder = config.encoder;
  const g = new GraphBuilder({ graphName: 'sam_image_encoder', externalWeightsFile: encoderWeightsPath(modelPath) });
  const grid = encoder.imgSize / encoder.patchSize;
  const image = g.input('input_image', 'float32', [1, 3, encoder.imgSize, encoder.imgSize]);
  let tokens = patchEmbed(g, sd, image, encoder, grid);
  for (let index = 0; index < encoder.depth; index++) {
    const window = encoder.globalAttnIndexes.includes(index) ? 0 : encoder.windowSize;
    tokens = block(g, sd, tokens, `${PREFIX}.blocks.${index}`, { grid, window, numHeads: encoder.numHeads });
  }
  g.output('image_embeddings', neck(g, sd, tokens, grid), 'float32', [1, encoder.outChans, grid, grid]);
  fs.writeFileSync(modelPath, g.build());
}

/**
 * PatchEmbed (Conv k=s=patch) and the absolute position embedding; the token stream stays 2-D, row-major
 * over the grid, so that every Linear is a plain Gemm.
 * in: image float32[1,3,S,S] -> out: tokens float32[grid*grid, C]
 */
function patchEmbed(g: GraphBuilder, sd: StateDict, image: string, config: SamEncoderConfig, grid: number): string {
  const weightShape = sd.info(`${PREFIX}.patch_embed.proj.weight`).shape;
  const channels = weightShape[0];
  const weight = g.weight(`${PREFIX}.patch_embed.proj.weight`, sd.float32(`${PREFIX}.patch_embed.proj.weight`), weightShape);
  const bias = g.weight(`${PREFIX}.patch_embed.proj.bias`, sd.float32(`${PREFIX}.patch_embed.proj.bias`), [channels]);
  const patches = g.op('Conv', [image, weight, bias], {
    kernel_shape: [config.patchSize, config.patchSize],
    strides: [config.patchSize, config.patchSize],
  });
  // [1,C,grid,grid] -> [grid*grid, C]
  const tokens = g.op('Transpose', [g.op('Reshape', [patches, g.ints([channels, grid * grid])])], { perm: [1, 0] });
  // pos_embed [1,grid,grid,C] has the tokens' row-major order, so it is stored as [grid*grid, C].
  const posEmbed = g.weight(`${PREFIX}.pos_embed`, sd.float32(`${PREFIX}.pos_embed`), [grid * grid, channels]);
  return g.op('Add', [tokens, posEmbed]);
}

interface BlockGeometry {
  /** Tokens per side of the (square) grid. */
  grid: number;
  /** Window side for windowed attention; 0 for global attention. */
  window: number;
  numHeads: number;
}

/** Block: x + attn(norm1(x)), then x + mlp(norm2(x)). in/out: tokens float32[grid*grid, C] */
function block(g: GraphBuilder, sd: StateDict, tokens: string, prefix: string, geometry: BlockGeometry): string {
  const normed = layerNorm(g, sd, tokens, `${prefix}.norm1`, LAYER_NORM_EPS);
  const attended = g.op('Add', [tokens, attention(g, sd, normed, `${prefix}.attn`, geometry)]);
  const hidden = gelu(g, linear(g, sd, layerNorm(g, sd, attended, `${prefix}.norm2`, LAYER_NORM_EPS), `${prefix}.mlp.lin1`));
  return g.op('Add', [attended, linear(g, sd, hidden, `${prefix}.mlp.lin2`)]);
}

interface WindowGeometry {
  grid: number;
  /** Side of a window; the grid's side for global attention. */
  window: number;
  /** Windows per side of the padded grid. */
  perSide: number;
  channels: number;
}

/**
 * Attention within windows (window_partition / window_unpartition with zero padding) or over the whole grid
 * (global attention: one window of the grid's size, no padding). The heads, the scale head_dim^-0.5, softmax and
 * the product with v run in ONNX Runtime's MultiHeadAttention, with the relative positions as its attention bias:
 * on vit_b's global blocks it took about 0.55 of the time of MatMul, two broadcast Adds, Softmax, MatMul.
 * in/out: tokens float32[grid*grid, C]
 */
function attention(g: GraphBuilder, sd: StateDict, tokens: string, prefix: string, geometry: BlockGeometry): string {
  const { grid, numHeads } = geometry;
  const channels = sd.info(`${prefix}.proj.weight`).shape[0];
  const headDim = channels / numHeads;
  const window = geometry.window > 0 ? geometry.window : grid;
  const windows: WindowGeometry = { grid, window, perSide: Math.ceil(grid / window), channels };
  const windowCount = windows.perSide * windows.perSide;
  const windowTokens = window * window;

  // The reference projects the partitioned tokens: a padded (zero) token's q, k and v are the biases.
  const rows = windowPartition(g, tokens, windows);
  // qkv.weight [3C, C] holds q, k, v one after the other; each becomes its own Gemm.
  const qkvWeight = sd.float32(`${prefix}.qkv.weight`);
  const qkvBias = sd.float32(`${prefix}.qkv.bias`);
  const project = (part: number, name: string): string => {
    const weight = qkvWeight.subarray(part * channels * channels, (part + 1) * channels * channels);
    const bias = qkvBias.subarray(part * channels, (part + 1) * channels);
    const w = g.weight(`${prefix}.qkv.weight_${name}_t`, transpose2d(weight, channels, channels), [channels, channels]);
    const b = g.weight(`${prefix}.qkv.bias_${name}`, bias.slice(), [channels]);
    return g.op('Reshape', [g.op('Add', [g.op('MatMul', [rows, w]), b]), g.ints([windowCount, windowTokens, channels])]);
  };
  const q = project(0, 'q');
  const k = project(1, 'k');
  const v = project(2, 'v');
  const bias = decomposedRelPosBias(g, sd, q, prefix, { windowCount, window, numHeads, headDim });
  const attended = g.op('MultiHeadAttention', [q, k, v, '', '', bias], { num_heads: numHeads, scale: { float: headDim ** -0.5 } }, 'com.microsoft');
  return linear(g, sd, windowUnpartition(g, attended, windows), `${prefix}.proj`);
}

/** window_partition: in tokens float32[grid*grid, C] -> out float32[windows*window*window, C], window-major. */
function windowPartition(g: GraphBuilder, tokens: string, geometry: WindowGeometry): string {
  const { grid, window, perSide, channels } = geometry;
  if (perSide === 1 && window === grid) return tokens;
  const padded = perSide * window;
  let spatial = g.op('Reshape', [tokens, g.ints([grid, grid, channels])]);
  if (padded > grid) spatial = g.op('Pad', [spatial, g.ints([0, 0, 0, padded - grid, padded - grid, 0])]);
  // [nWh, window, nWw, window, C] -> [nWh, nWw, window, window, C]
  const split = g.op('Reshape', [spatial, g.ints([perSide, window, perSide, window, channels])]);
  return g.op('Reshape', [g.op('Transpose', [split], { perm: [0, 2, 1, 3, 4] }), g.ints([padded * padded, channels])]);
}

/** window_unpartition and the crop: in float32[windows, window*window, C] -> out tokens float32[grid*grid, C]. */
function windowUnpartition(g: GraphBuilder, windowed: string, geometry: WindowGeometry): string {
  const { grid, window, perSide, channels } = geometry;
  if (perSide === 1 && window === grid) return g.op('Reshape', [windowed, g.ints([grid * grid, channels])]);
  const padded = perSide * window;
  const split = g.op('Reshape', [windowed, g.ints([perSide, perSide, window, window, channels])]);
  let spatial = g.op('Reshape', [g.op('Transpose', [split], { perm: [0, 2, 1, 3, 4] }), g.ints([padded, padded, channels])]);
  if (padded > grid) spatial = g.op('Slice', [spatial, g.ints([0, 0]), g.ints([grid, grid]), g.ints([0, 1])]);
  return g.op('Reshape', [spatial, g.ints([grid * grid, channels])]);
}

interface RelPosGeometry {
  windowCount: number;
  window: number;
  numHeads: number;
  headDim: number;
}

/**
 * add_decomposed_rel_pos's terms for q_size = k_size = (window, window), from the unscaled q:
 * rel_h[b,qh,qw,kh] = sum_c q[b,qh,qw,c] Rh[qh,kh,c] and rel_w[b,qh,qw,kw] = sum_c q[b,qh,qw,c] Rw[qw,kw,c],
 * broadcast to bias[b,qh,qw,kh,kw] = rel_h + rel_w. Both products are batched MatMuls on the tokens' own layout
 * ([windows, qh, qw, heads, c]); only rel_w needs qw moved in front.
 * in: q float32[windows, T, C] -> out: float32[windows, heads, T, T], T = window^2
 */
function decomposedRelPosBias(g: GraphBuilder, sd: StateDict, q: string, prefix: string, geometry: RelPosGeometry): string {
  const { windowCount, window, numHeads, headDim } = geometry;
  const relHeight = relPosInitializer(g, sd, `${prefix}.rel_pos_h`, window, headDim);
  const relWidth = relPosInitializer(g, sd, `${prefix}.rel_pos_w`, window, headDim);
  // [windows, qh, qw*heads, c] @ Rh^T [qh, c, kh] -> [windows, qh, qw, heads, kh] -> [windows, heads, qh, qw, kh, 1]
  const byRow = g.op('Reshape', [q, g.ints([windowCount, window, window * numHeads, headDim])]);
  const relH = g.op('Reshape', [g.op('MatMul', [byRow, relHeight]), g.ints([windowCount, window, window, numHeads, window])]);
  const relHBroadcast = g.op('Unsqueeze', [g.op('Transpose', [relH], { perm: [0, 3, 1, 2, 4] }), g.ints([5])]);
  // [windows, qw, qh*heads, c] @ Rw^T [qw, c, kw] -> [windows, qw, qh, heads, kw] -> [windows, heads, qh, qw, 1, kw]
  const grid = g.op('Reshape', [q, g.ints([windowCount, window, window, numHeads * headDim])]);
  const byColumn = g.op('Reshape', [g.op('Transpose', [grid], { perm: [0, 2, 1, 3] }), g.ints([windowCount, window, window * numHeads, headDim])]);
  const relW = g.op('Reshape', [g.op('MatMul', [byColumn, relWidth]), g.ints([windowCount, window, window, numHeads, window])]);
  const relWBroadcast = g.op('Unsqueeze', [g.op('Transpose', [relW], { perm: [0, 3, 2, 1, 4] }), g.ints([4])]);
  const tokens = window * window;
  return g.op('Reshape', [g.op('Add', [relHBroadcast, relWBroadcast]), g.ints([windowCount, numHeads, tokens, tokens])]);
}

/** get_rel_pos(size, size, rel_pos) gathered at build time, stored transposed for MatMul: [q, headDim, k]. */
function relPosInitializer(g: GraphBuilder, sd: StateDict, name: string, size: number, headDim: number): string {
  const [length] = sd.info(name).shape;
  const table = relativePositions(sd.float32(name), length, headDim, size);
  const transposed = new Float32Array(size * headDim * size);
  for (let i = 0; i < size; i++) {
    for (let c = 0; c < headDim; c++) {
      for (let j = 0; j < size; j++) transposed[(i * headDim + c) * size + j] = table[(i * size + j) * headDim + c];
    }
  }
  return g.weight(`${name}_gathered_t`, transposed, [size, headDim, size]);
}

/**
 * segment-anything's get_rel_pos for equal query and key sizes: the table (interpolated linearly, as
 * F.interpolate(mode='linear', align_corners=False), when its length is not 2*size-1) indexed by q - k + size - 1.
 * in: relPos float32[length, channels] -> out: float32[size(q), size(k), channels]
 */
export function relativePositions(relPos: Float32Array, length: number, channels: number, size: number): Float32Array {
  const maxRelDist = 2 * size - 1;
  const resized = length === maxRelDist ? relPos : interpolateRows(relPos, length, channels, maxRelDist);
  const out = new Float32Array(size * size * channels);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const row = i - j + size - 1;
      out.set(resized.subarray(row * channels, (row + 1) * channels), (i * size + j) * channels);
    }
  }
  return out;
}

/** Linear interpolation along rows, half-pixel centres, clamped at the ends (PyTorch align_corners=False). */
function interpolateRows(data: Float32Array, rows: number, channels: number, outRows: number): Float32Array {
  const out = new Float32Array(outRows * channels);
  const scale = rows / outRows;
  for (let r = 0; r < outRows; r++) {
    const source = Math.max(scale * (r + 0.5) - 0.5, 0);
    const r0 = Math.floor(source);
    const r1 = Math.min(r0 + 1, rows - 1);
    const t = source - r0;
    for (let c = 0; c < channels; c++) out[r * channels + c] = (1 - t) * data[r0 * channels + c] + t * data[r1 * channels + c];
  }
  return out;
}

/**
 * neck: Conv1x1 (no bias) -> LayerNorm2d -> Conv3x3 pad 1 (no bias) -> LayerNorm2d. The 1x1 conv is a Linear
 * on the tokens and the first LayerNorm2d a LayerNorm over their channels; the 3x3 conv needs NCHW.
 * in: tokens float32[grid*grid, C] -> out: float32[1, outChans, grid, grid]
 */
function neck(g: GraphBuilder, sd: StateDict, tokens: string, grid: number): string {
  // neck.0.weight [outChans, C, 1, 1] is read as a Linear's [outChans, C].
  const projected = linear(g, sd, tokens, `${PREFIX}.neck.0`, { bias: false });
  const normed = layerNorm(g, sd, projected, `${PREFIX}.neck.1`, LAYER_NORM_EPS);
  const conv3Shape = sd.info(`${PREFIX}.neck.2.weight`).shape;
  const outChans = conv3Shape[0];
  const nchw = g.op('Reshape', [g.op('Transpose', [normed], { perm: [1, 0] }), g.ints([1, outChans, grid, grid])]);
  const conv3Weight = g.weight(`${PREFIX}.neck.2.weight`, sd.float32(`${PREFIX}.neck.2.weight`), conv3Shape);
  const convolved = g.op('Conv', [nchw, conv3Weight], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  return layerNorm2d(g, sd, convolved, `${PREFIX}.neck.3`);
}
