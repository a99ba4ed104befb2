// Decoder speed: the prompt encoder + mask decoder graph with random vit_b weights, box prompt, one mask post-processed to 1024x768.
import { MemoryStateDict } from '../src-main/sam/checkpoint/state-dict.js';
import { createSession, float32Tensor, runSession } from '../src-main/sam/onnx-runtime.js';
import { randomSamWeights } from '../src-main/sam/random-checkpoint.js';
import { buildSamDecoder } from '../src-main/sam/sam-decoder-graph.js';
import { SAM_VARIANTS, type SamConfig } from '../src-main/sam/variants.js';
import { medianMs } from './stats.js';

const RUNS = 9;
const WARMUP = 2;
/** The original image of the timed prediction, [height, width]: its masks are post-processed to this size. */
const ORIGINAL_SIZE = [768, 1024] as const;
/** A box in the 1024 frame, as the two corner points (labels 2 and 3) that SamPredictor feeds the decoder. */
const BOX_CORNERS = [256, 192, 768, 576];

/**
 * Median time of one decoder run (ONNX Runtime, after warm-up) for a box prompt and a single mask, with the graph
 * that returns only that mask.
 */
export async function benchDecoder(): Promise<{ decoder_ms: number; decoder_provider: string }> {
  // The decoder has the same size in every variant; an encoder without blocks keeps the random weights small.
  const config: SamConfig = { ...SAM_VARIANTS.vit_b, encoder: { ...SAM_VARIANTS.vit_b.encoder, depth: 0, globalAttnIndexes: [] } };
  const weights = new MemoryStateDict('random vit_b decoder', randomSamWeights(config, 1));
  const session = await createSession(buildSamDecoder(weights, config, { outputs: 'single' }), 'mask decoder');
  const embeddingSize = config.promptEmbedDim * config.imageEmbeddingSize ** 2;
  const lowResSide = 4 * config.imageEmbeddingSize;
  const feeds = {
    image_embeddings: float32Tensor(randomEmbedding(embeddingSize), [1, config.promptEmbedDim, config.imageEmbeddingSize, config.imageEmbeddingSize]),
    point_coords: float32Tensor(Float32Array.from(BOX_CORNERS), [1, 2, 2]),
    point_labels: float32Tensor(Float32Array.of(2, 3), [1, 2]),
    mask_input: float32Tensor(new Float32Array(lowResSide * lowResSide), [1, 1, lowResSide, lowResSide]),
    has_mask_input: float32Tensor(Float32Array.of(0), [1]),
    orig_im_size: float32Tensor(Float32Array.from(ORIGINAL_SIZE), [2]),
  };
  const decoderMs = await medianMs(() => runSession(session, feeds), RUNS, WARMUP);
  await session.session.release();
  return { decoder_ms: decoderMs, decoder_provider: session.provider };
}

/** Values in [-2, 2), about the range of real image embeddings; the time does not depend on them. */
function randomEmbedding(length: number): Float32Array {
  let state = 12345;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 4 - 2;
  });
}
