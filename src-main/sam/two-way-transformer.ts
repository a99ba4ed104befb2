// SAM's TwoWayTransformer (segment_anything/modeling/transformer.py) as an ONNX subgraph read from a StateDict.
//
// Batch size is 1, so tensors are 2-D: tokens [T, C] (T = 5 output tokens + N prompt points), image [P, C]
// (P = 64*64 cells, row-major). The cross attentions are regrouped so that no tensor of P rows is ever
// projected to heads: each product with a P-row operand is a [P, C] x [C, H*T] matrix product, which costs
// less than the official [P, C] x [C, C/2] projections while H*T < C/2 (up to 10 prompt points, box corners and
// padding point included) and needs no transposes of P-row tensors. The results agree with the official graph
// to float32 rounding (see test/sam/sam-decoder-graph.test.ts).
import type { StateDict } from './checkpoint/state-dict.js';
import type { GraphBuilder } from './onnx/graph-builder.js';
import { layerNorm, linear, relu, transpose2d } from './onnx/layers.js';

const PREFIX = 'mask_decoder.transformer';
/** nn.LayerNorm's default, used by every LayerNorm of the transformer. */
const LAYER_NORM_EPS = 1e-5;

export interface TwoWayTransformerInputs {
  /** The image embedding plus the dense prompt embedding, float32[P, C] */
  image: string;
  /** get_dense_pe(), float32[P, C] */
  imagePe: string;
  /** Output tokens then sparse prompt embeddings, float32[T, C] */
  tokens: string;
}

/**
 * TwoWayTransformer.forward.
 * out: queries float32[T, C] (processed tokens), keys float32[P, C] (processed image)
 */
export function twoWayTransformer(
  g: GraphBuilder,
  sd: StateDict,
  inputs: TwoWayTransformerInputs,
  config: { depth: number; numHeads: number },
): { queries: string; keys: string } {
  const { imagePe, tokens } = inputs;
  const { numHeads } = config;
  let queries = tokens;
  let keys = inputs.image;
  for (let i = 0; i < config.depth; i++) {
    const layer = `${PREFIX}.layers.${i}`;
    const norm = (x: string, name: string): string => layerNorm(g, sd, x, `${layer}.${name}`, LAYER_NORM_EPS);

    // Self attention of the tokens; the first layer adds no positional term and no residual.
    if (i === 0) {
      queries = tokenSelfAttention(g, sd, `${layer}.self_attn`, numHeads, queries, queries);
    } else {
      const q = g.op('Add', [queries, tokens]);
      queries = g.op('Add', [queries, tokenSelfAttention(g, sd, `${layer}.self_attn`, numHeads, q, queries)]);
    }
    queries = norm(queries, 'norm1');

    const keysWithPe = g.op('Add', [keys, imagePe]);
    const tokenToImage = tokenToImageAttention(g, sd, `${layer}.cross_attn_token_to_image`, numHeads, {
      tokenQueries: g.op('Add', [queries, tokens]),
      imageKeys: keysWithPe,
      imageValues: keys,
    });
    queries = norm(g.op('Add', [queries, tokenToImage]), 'norm2');

    // MLPBlock: lin2(relu(lin1(x))).
    const hidden = relu(g, linear(g, sd, queries, `${layer}.mlp.lin1`));
    queries = norm(g.op('Add', [queries, linear(g, sd, hidden, `${layer}.mlp.lin2`)]), 'norm3');

    const imageToToken = imageToTokenAttention(g, sd, `${layer}.cross_attn_image_to_token`, numHeads, {
      imageQueries: keysWithPe,
      tokenKeys: g.op('Add', [queries, tokens]),
      tokenValues: queries,
    });
    keys = norm(g.op('Add', [keys, imageToToken]), 'norm4');
  }
  const finalAttention = tokenToImageAttention(g, sd, `${PREFIX}.final_attn_token_to_image`, numHeads, {
    tokenQueries: g.op('Add', [queries, tokens]),
    imageKeys: g.op('Add', [keys, imagePe]),
    imageValues: keys,
  });
  queries = layerNorm(g, sd, g.op('Add', [queries, finalAttention]), `${PREFIX}.norm_final_attn`, LAYER_NORM_EPS);
  return { queries, keys };
}

/**
 * transformer.Attention among the tokens, as written (q, k share one input; v another).
 * in: qk float32[T, C], v float32[T, C]; out: float32[T, C]
 */
function tokenSelfAttention(g: GraphBuilder, sd: StateDict, prefix: string, numHeads: number, qk: string, v: string): string {
  const { internalDim, headDim } = attentionDims(sd, prefix, numHeads);
  const qHeads = projectToHeads(g, sd, qk, `${prefix}.q_proj`, numHeads); // [H,T,d]
  const kHeadsT = g.op('Transpose', [projectToHeads(g, sd, qk, `${prefix}.k_proj`, numHeads)], { perm: [0, 2, 1] }); // [H,d,T]
  const vHeads = projectToHeads(g, sd, v, `${prefix}.v_proj`, numHeads); // [H,T,d]
  const scores = g.op('Div', [g.op('MatMul', [qHeads, kHeadsT]), g.floats([Math.sqrt(headDim)])]);
  const attended = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), vHeads]); // [H,T,d]
  return linear(g, sd, recombineHeads(g, attended, internalDim), `${prefix}.out_proj`);
}

/**
 * transformer.Attention from the tokens to the image (cross_attn_token_to_image, final_attn_token_to_image).
 * Per head h, with q_h = q_proj(tokenQueries)_h [T,d]:
 *   scores_h = q_h (imageKeys Wk_h^T + bk_h)^T = (q_h Wk_h) imageKeys^T + const per row, and softmax drops the const;
 *   attn_h (imageValues Wv_h^T + bv_h) = (attn_h imageValues) Wv_h^T + bv_h, as each row of attn_h sums to 1.
 * in: tokenQueries float32[T, C], imageKeys float32[P, C], imageValues float32[P, C]; out: float32[T, C]
 */
function tokenToImageAttention(
  g: GraphBuilder,
  sd: StateDict,
  prefix: string,
  numHeads: number,
  inputs: { tokenQueries: string; imageKeys: string; imageValues: string },
): string {
  const { internalDim, headDim, channels } = attentionDims(sd, prefix, numHeads);
  const qHeads = projectToHeads(g, sd, inputs.tokenQueries, `${prefix}.q_proj`, numHeads); // [H,T,d]
  const kWeight = headWeights(g, sd, `${prefix}.k_proj.weight`, numHeads, 'rows'); // [H,d,C]
  const queriesInImageSpace = g.op('Reshape', [g.op('MatMul', [qHeads, kWeight]), g.ints([-1, channels])]); // [H*T, C]
  const scores = g.op('Gemm', [queriesInImageSpace, inputs.imageKeys], { transB: 1, alpha: { float: 1 / Math.sqrt(headDim) } }); // [H*T, P]
  const attention = g.op('Softmax', [scores], { axis: -1 });

  const attendedImage = g.op('Reshape', [g.op('MatMul', [attention, inputs.imageValues]), g.ints([numHeads, -1, channels])]); // [H,T,C]
  const vWeight = headWeights(g, sd, `${prefix}.v_proj.weight`, numHeads, 'rows-transposed'); // [H,C,d]
  const vBias = g.weight(`${prefix}.v_proj.bias`, sd.float32(`${prefix}.v_proj.bias`), [numHeads, 1, headDim]);
  const attended = g.op('Add', [g.op('MatMul', [attendedImage, vWeight]), vBias]); // [H,T,d]
  return linear(g, sd, recombineHeads(g, attended, internalDim), `${prefix}.out_proj`);
}

/**
 * transformer.Attention from the image to the tokens (cross_attn_image_to_token). Per head h, with
 * k_h = k_proj(tokenKeys)_h and v_h = v_proj(tokenValues)_h [T,d]:
 *   scores_h = (imageQueries Wq_h^T + bq_h) k_h^T = imageQueries (k_h Wq_h)^T + (k_h bq_h)^T;
 *   out_proj(concat_h attn_h v_h) = sum_h attn_h (v_h Wo_h^T) + bo, Wo_h the columns of head h.
 * in: imageQueries float32[P, C], tokenKeys float32[T, C], tokenValues float32[T, C]; out: float32[P, C]
 */
function imageToTokenAttention(
  g: GraphBuilder,
  sd: StateDict,
  prefix: string,
  numHeads: number,
  inputs: { imageQueries: string; tokenKeys: string; tokenValues: string },
): string {
  const { headDim, channels } = attentionDims(sd, prefix, numHeads);
  const scale = 1 / Math.sqrt(headDim);
  const kHeads = projectToHeads(g, sd, inputs.tokenKeys, `${prefix}.k_proj`, numHeads); // [H,T,d]
  const qWeight = headWeights(g, sd, `${prefix}.q_proj.weight`, numHeads, 'rows'); // [H,d,C]
  const qBias = g.weight(`${prefix}.q_proj.bias`, sd.float32(`${prefix}.q_proj.bias`), [numHeads, headDim, 1]);
  const keysInImageSpace = g.op('Reshape', [g.op('MatMul', [kHeads, qWeight]), g.ints([-1, channels])]); // [H*T, C]
  const keyBias = g.op('Mul', [g.op('Reshape', [g.op('MatMul', [kHeads, qBias]), g.ints([-1])]), g.floats([scale])]); // [H*T]
  const scores = g.op('Gemm', [inputs.imageQueries, keysInImageSpace, keyBias], { transB: 1, alpha: { float: scale } }); // [P, H*T]
  const scoresPerHead = g.op('Reshape', [scores, g.ints([0, numHeads, -1])]); // [P,H,T]
  const attention = g.op('Reshape', [g.op('Softmax', [scoresPerHead], { axis: -1 }), g.ints([0, -1])]); // [P, H*T]

  const vHeads = projectToHeads(g, sd, inputs.tokenValues, `${prefix}.v_proj`, numHeads); // [H,T,d]
  const outWeight = headWeights(g, sd, `${prefix}.out_proj.weight`, numHeads, 'columns-transposed'); // [H,d,C]
  const valuesInImageSpace = g.op('Reshape', [g.op('MatMul', [vHeads, outWeight]), g.ints([-1, channels])]); // [H*T, C]
  const outBias = g.weight(`${prefix}.out_proj.bias`, sd.float32(`${prefix}.out_proj.bias`), [channels]);
  return g.op('Gemm', [attention, valuesInImageSpace, outBias]);
}

function attentionDims(sd: StateDict, prefix: string, numHeads: number): { internalDim: number; headDim: number; channels: number } {
  const [internalDim, channels] = sd.info(`${prefix}.q_proj.weight`).shape;
  return { internalDim, headDim: internalDim / numHeads, channels };
}

/** linear then Attention._separate_heads: x float32[n, C] -> float32[H, n, d] */
function projectToHeads(g: GraphBuilder, sd: StateDict, x: string, prefix: string, numHeads: number): string {
  const projected = linear(g, sd, x, prefix);
  return g.op('Transpose', [g.op('Reshape', [projected, g.ints([0, numHeads, -1])])], { perm: [1, 0, 2] });
}

/** Attention._recombine_heads: float32[H, n, d] -> float32[n, H*d] */
function recombineHeads(g: GraphBuilder, x: string, internalDim: number): string {
  return g.op('Reshape', [g.op('Transpose', [x], { perm: [1, 0, 2] }), g.ints([-1, internalDim])]);
}

/**
 * A projection's weight split by head. For q/k/v_proj.weight [D, C] (D = H*d): 'rows' is [H, d, C] (W_h),
 * 'rows-transposed' [H, C, d] (W_h^T). For out_proj.weight [C, D]: 'columns-transposed' is [H, d, C] (Wo_h^T).
 */
function headWeights(
  g: GraphBuilder,
  sd: StateDict,
  name: string,
  numHeads: number,
  layout: 'rows' | 'rows-transposed' | 'columns-transposed',
): string {
  const [rows, cols] = sd.info(name).shape;
  const data = sd.float32(name);
  if (layout === 'rows') return g.weight(name, data, [numHeads, rows / numHeads, cols]);
  if (layout === 'columns-transposed') return g.weight(`${name}_heads`, transpose2d(data, rows, cols), [numHeads, cols / numHeads, rows]);
  const headDim = rows / numHeads;
  const transposed = new Float32Array(data.length);
  for (let h = 0; h < numHeads; h++) {
    const block = data.subarray(h * headDim * cols, (h + 1) * headDim * cols);
    transposed.set(transpose2d(block, headDim, cols), h * headDim * cols);
  }
  return g.weight(`${name}_heads`, transposed, [numHeads, cols, headDim]);
}
