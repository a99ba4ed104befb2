// SAM's TwoWayTransformer (Attention, MLPBlock, TwoWayAttentionBlock) in TensorFlow.js, weights by official name.
import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from './engine.js';
import { layerNorm, linear, matMul, transposeLastTwo, type WeightLookup } from './layers.js';

export interface TransformerShape {
  /** Number of TwoWayAttentionBlocks (2 in every SAM variant). */
  depth: number;
  /** Attention heads (8 in every SAM variant; not recorded in the weights). */
  numHeads: number;
}

export interface AttentionOptions {
  numHeads: number;
  /** Inputs that depend on no trainable parameter (the first block's image tokens): no gradient flows into them. */
  constantInputs?: readonly ('q' | 'k' | 'v')[];
}

/**
 * Attention with heads; the projections may shrink the width (downsample rate 2 for the cross attentions, read
 * from the q_proj weight). in: q float32[B,Nq,C], k float32[B,Nk,C], v float32[B,Nk,C]; out: float32[B,Nq,C].
 *
 * Heads are not split off by transposing the projections. The side with few tokens (the prompt tokens) is spread
 * block-diagonally over the heads instead (row (head, i) keeps only that head's channels), so every product is
 * one matmul over all channels: the per-head sums are the same, the zeros add nothing, and the wide image side
 * ([B,4096,C/2]) is never transposed into heads.
 */
export function attention(tf: Tf, w: WeightLookup, prefix: string, q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Tensor {
  const { numHeads, constantInputs = [] } = options;
  const project = (x: Tensor, input: 'q' | 'k' | 'v'): Tensor => linear(tf, w, x, `${prefix}.${input}_proj`, { constantInput: constantInputs.includes(input) });
  const queries = project(q, 'q'); // [B,Nq,D]
  const keys = project(k, 'k'); // [B,Nk,D]
  const values = project(v, 'v'); // [B,Nk,D]
  const [batch, queryCount, width] = queries.shape as number[];
  const [, keyCount] = keys.shape as number[];
  const mask = headMask(tf, numHeads, width); // [h,1,D]
  const scale = Math.sqrt(width / numHeads);
  let out: Tensor;
  if (queryCount <= keyCount) {
    // Rows (head, i): each token's query against every key, softmax over the keys, then each head's channels back.
    const scores = tf.div(matMul(tf, spreadOverHeads(tf, queries, mask), transposeLastTwo(tf, keys)), scale); // [B,h*Nq,Nk]
    const spread = matMul(tf, tf.softmax(scores), values); // [B,h*Nq,D]
    out = tf.sum(tf.mul(spread.reshape([batch, numHeads, queryCount, width]), mask), 1); // [B,Nq,D]
  } else {
    // Columns (head, j): every query against each head's few keys, softmax within each head.
    const scores = tf.div(matMul(tf, queries, transposeLastTwo(tf, spreadOverHeads(tf, keys, mask))), scale); // [B,Nq,h*Nk]
    const weights = tf.softmax(scores.reshape([batch, queryCount, numHeads, keyCount])).reshape([batch, queryCount, numHeads * keyCount]);
    out = matMul(tf, weights, spreadOverHeads(tf, values, mask)); // [B,Nq,D]
  }
  return linear(tf, w, out, `${prefix}.out_proj`);
}

/** float32[h,1,D]: 1 where channel d belongs to head h (channels are split into h consecutive groups). */
function headMask(tf: Tf, numHeads: number, width: number): Tensor {
  const perHead = width / numHeads;
  return tf.tensor3d(
    Float32Array.from({ length: numHeads * width }, (_, i) => (Math.floor((i % width) / perHead) === Math.floor(i / width) ? 1 : 0)),
    [numHeads, 1, width],
  );
}

/** float32[B,N,D] -> float32[B,h*N,D]: row (head, i) is x[i] with the other heads' channels zeroed. */
function spreadOverHeads(tf: Tf, x: Tensor, mask: Tensor): Tensor {
  const [batch, rows, width] = x.shape as number[];
  const [numHeads] = mask.shape as number[];
  return tf.mul(x.expandDims(1), mask).reshape([batch, numHeads * rows, width]);
}

/** MLPBlock with the transformer's ReLU: float32[..., C] -> float32[..., C]. */
export function mlpBlock(tf: Tf, w: WeightLookup, x: Tensor, prefix: string): Tensor {
  return linear(tf, w, tf.relu(linear(tf, w, x, `${prefix}.lin1`)), `${prefix}.lin2`);
}

/**
 * TwoWayAttentionBlock: self attention of the tokens, tokens -> image, MLP on the tokens, image -> tokens.
 * in: queries float32[B,T,C] (tokens), keys float32[B,HW,C] (image), their positional encodings; out: both updated.
 */
function twoWayAttentionBlock(
  tf: Tf,
  w: WeightLookup,
  prefix: string,
  state: { queries: Tensor; keys: Tensor },
  pe: { queryPe: Tensor; keyPe: Tensor },
  options: {
    numHeads: number;
    skipFirstLayerPe: boolean;
    /** The image tokens entering this block depend on no trainable parameter (true for the first block). */
    constantImage: boolean;
  },
): { queries: Tensor; keys: Tensor } {
  let { queries, keys } = state;
  const { queryPe, keyPe } = pe;
  if (options.skipFirstLayerPe) {
    queries = attention(tf, w, `${prefix}.self_attn`, queries, queries, queries, { numHeads: options.numHeads });
  } else {
    const q = tf.add(queries, queryPe);
    queries = tf.add(queries, attention(tf, w, `${prefix}.self_attn`, q, q, queries, { numHeads: options.numHeads }));
  }
  queries = layerNorm(tf, w, queries, `${prefix}.norm1`);

  let q = tf.add(queries, queryPe);
  let k = tf.add(keys, keyPe);
  queries = tf.add(queries, attention(tf, w, `${prefix}.cross_attn_token_to_image`, q, k, keys, {
      numHeads: options.numHeads,
      constantInputs: options.constantImage ? ['k', 'v'] : [],
    }));
  queries = layerNorm(tf, w, queries, `${prefix}.norm2`);

  queries = tf.add(queries, mlpBlock(tf, w, queries, `${prefix}.mlp`));
  queries = layerNorm(tf, w, queries, `${prefix}.norm3`);

  q = tf.add(queries, queryPe);
  k = tf.add(keys, keyPe);
  keys = tf.add(keys, attention(tf, w, `${prefix}.cross_attn_image_to_token`, k, q, queries, {
      numHeads: options.numHeads,
      constantInputs: options.constantImage ? ['q'] : [],
    }));
  keys = layerNorm(tf, w, keys, `${prefix}.norm4`);
  return { queries, keys };
}

/**
 * TwoWayTransformer.forward, with the image already flattened channels-last.
 * in: imageTokens float32[B,HW,C], imagePe float32[1 or B,HW,C], pointEmbedding float32[B,T,C] (output tokens + prompts)
 * out: queries float32[B,T,C] (after the final token -> image attention and norm), keys float32[B,HW,C]
 */
export function twoWayTransformer(
  tf: Tf,
  w: WeightLookup,
  prefix: string,
  inputs: { imageTokens: Tensor; imagePe: Tensor; pointEmbedding: Tensor },
  shape: TransformerShape,
): { queries: Tensor; keys: Tensor } {
  const pe = { queryPe: inputs.pointEmbedding, keyPe: inputs.imagePe };
  let state = { queries: inputs.pointEmbedding, keys: inputs.imageTokens };
  for (let i = 0; i < shape.depth; i++) {
    state = twoWayAttentionBlock(tf, w, `${prefix}.layers.${i}`, state, pe, {
      numHeads: shape.numHeads,
      skipFirstLayerPe: i === 0,
      constantImage: i === 0,
    });
  }
  const q = tf.add(state.queries, inputs.pointEmbedding);
  const k = tf.add(state.keys, inputs.imagePe);
  const attended = attention(tf, w, `${prefix}.final_attn_token_to_image`, q, k, state.keys, { numHeads: shape.numHeads });
  const queries = layerNorm(tf, w, tf.add(state.queries, attended), `${prefix}.norm_final_attn`);
  return { queries, keys: state.keys };
}
