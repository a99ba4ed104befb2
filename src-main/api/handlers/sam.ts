// sam.predict: prompts in original pixels -> SAM's masks as COCO RLE, with the previous logits fed back on request.
import { encodeMask } from '../../coco/rle.js';
import type { MaskLoopApi, Rle } from '../contract.js';
import type { ServiceContext } from '../service-context.js';

/** in: logits float32[height*width] row-major at the original size -> the mask (logit > 0) as COCO RLE. */
function logitsToRle(logits: Float32Array, height: number, width: number): Rle {
  const mask = new Uint8Array(logits.length);
  for (let i = 0; i < logits.length; i++) mask[i] = logits[i] > 0 ? 1 : 0;
  return encodeMask(mask, height, width);
}

export function samHandlers(context: ServiceContext): MaskLoopApi['sam'] {
  return {
    async predict({ imageId, points, box, multimask, usePreviousMask, previousMaskIndex }) {
      const started = performance.now();
      const project = context.requireProject();
      const predictor = await context.sam.predictorFor(project, project.images.require(imageId));
      const decodeStarted = performance.now();
      const prediction = await predictor.predict(
        { points, box: box && [box.x0, box.y0, box.x1, box.y1] },
        { multimask, usePreviousMask, previousMaskIndex },
      );
      const decodeMs = performance.now() - decodeStarted;
      const [height, width] = prediction.size;
      return {
        masks: prediction.masks.map((logits) => logitsToRle(logits, height, width)),
        iouPredictions: prediction.iouPredictions,
        timing: { decodeMs, totalMs: performance.now() - started },
      };
    },
  };
}
