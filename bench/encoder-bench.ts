// Image encoder benchmark: the graph built from random vit_b weights, then timed on one image-sized input.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStateDict } from '../src-main/sam/checkpoint/state-dict.js';
import { buildImageEncoder } from '../src-main/sam/image-encoder.js';
import { createSession, float32Tensor, runSession } from '../src-main/sam/onnx-runtime.js';
import { randomSamWeights } from '../src-main/sam/random-checkpoint.js';
import { SAM_VARIANTS } from '../src-main/sam/variants.js';
import { medianMs, timeMs } from './stats.js';

export interface EncoderBench {
  encoder_ms: number;
  encoder_build_ms: number;
  encoder_provider: string;
}

/**
 * Median of `runs` encoder runs after two warm-ups: ONNX Runtime plans its memory in the first run and allocates
 * that plan (fresh memory, touched for the first time) in the second. Speed does not depend on the weights' values.
 */
export async function benchEncoder(runs = 5): Promise<EncoderBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-encoder-bench-'));
  try {
    const config = SAM_VARIANTS.vit_b;
    const weights = new MemoryStateDict('random vit_b', randomSamWeights(config, 1));
    const modelPath = path.join(dir, 'encoder.onnx');
    const buildMs = await timeMs(() => buildImageEncoder(weights, config, modelPath));
    const encoder = await createSession(modelPath, 'image encoder');
    // Values in the range of a normalised image; the content does not change the speed.
    const input = new Float32Array(3 * 1024 * 1024).map((_, i) => 2 * Math.sin(i * 0.001));
    const feeds = { input_image: float32Tensor(input, [1, 3, 1024, 1024]) };
    try {
      const encoderMs = await medianMs(() => runSession(encoder, feeds), runs, 2);
      return { encoder_ms: encoderMs, encoder_build_ms: buildMs, encoder_provider: encoder.provider };
    } finally {
      await encoder.session.release();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
