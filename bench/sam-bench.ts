// SAM core benchmark: a random-weight vit_b checkpoint loaded cold and cached, its encoder and decoder timed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeRandomCheckpoint } from '../src-main/sam/random-checkpoint.js';
import { SamModel } from '../src-main/sam/sam-model.js';
import { SAM_VARIANTS } from '../src-main/sam/variants.js';
import { medianMs, timeMs } from './stats.js';

export interface SamBench {
  variant: string;
  provider: string;
  load_ms: { cold: number; cached: number };
  encoder_ms: number;
  decoder_ms: number;
}

export async function benchSam(runs = 5): Promise<SamBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-bench-'));
  try {
    const checkpoint = path.join(dir, 'sam_vit_b_random.pth');
    await writeRandomCheckpoint(checkpoint, SAM_VARIANTS.vit_b, 1);
    const cacheDir = path.join(dir, 'cache');
    const cold = await timeMs(() => SamModel.load({ checkpoint }, { cacheDir }));
    let model: SamModel | undefined;
    const cached = await timeMs(async () => {
      model = await SamModel.load({ checkpoint }, { cacheDir });
    });
    const image = syntheticPage(1024, 768);
    const embedding = await model!.embed(image);
    // A second warm-up: ONNX Runtime plans its memory in the first run and first touches it in the second.
    const encoderMs = await medianMs(() => model!.embed(image), runs, 1);
    const box = [300, 200, 700, 560] as const;
    const decoderMs = await medianMs(() => model!.decode(embedding, { points: [], box }, { multimask: false }), runs * 4, 2);
    return { variant: 'vit_b', provider: model!.provider, load_ms: { cold, cached }, encoder_ms: encoderMs, decoder_ms: decoderMs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A grey page with a red ring: speed does not depend on content, but the image should look like the task. */
function syntheticPage(width: number, height: number) {
  const data = new Uint8Array(width * height * 3).fill(235);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - 500, y - 380);
      if (r > 150 && r < 170) data.set([200, 30, 40], (y * width + x) * 3);
    }
  }
  return { width, height, data };
}
