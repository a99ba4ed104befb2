// SAM's image pre-processing: ResizeLongestSide to 1024, normalise with the pixel mean/std, zero-pad bottom/right.
import type { RgbImage } from './image-io.js';
import { applyImage, SAM_INPUT_SIZE } from './transforms.js';

const PIXEL_MEAN = [123.675, 116.28, 103.53] as const;
const PIXEL_STD = [58.395, 57.12, 57.375] as const;

export interface PreprocessedImage {
  /** The image encoder's input, float32[1,3,1024,1024] (NCHW); rows/columns past `inputSize` are 0. */
  readonly input: Float32Array;
  /** [height, width] of the resized image inside the 1024 frame. */
  readonly inputSize: [height: number, width: number];
  /** [height, width] of the image as loaded, in original pixels. */
  readonly originalSize: [height: number, width: number];
}

/**
 * Per channel, the normalised value of each byte, computed as PyTorch does it in float32:
 * (x - mean) rounded to float32, then divided by std and rounded again.
 */
function normalisationTables(): Float32Array[] {
  return PIXEL_MEAN.map((mean, channel) => {
    const mean32 = Math.fround(mean);
    const std32 = Math.fround(PIXEL_STD[channel]);
    const table = new Float32Array(256);
    for (let value = 0; value < 256; value++) table[value] = Math.fround(value - mean32) / std32;
    return table;
  });
}

const NORMALISED = normalisationTables();

export function preprocessImage(image: RgbImage): PreprocessedImage {
  const resized = applyImage(image);
  const plane = SAM_INPUT_SIZE * SAM_INPUT_SIZE;
  const input = new Float32Array(3 * plane);
  const pixels = resized.data;
  for (let channel = 0; channel < 3; channel++) {
    const table = NORMALISED[channel];
    for (let y = 0; y < resized.height; y++) {
      const rowOut = channel * plane + y * SAM_INPUT_SIZE;
      let p = y * resized.width * 3 + channel;
      for (let x = 0; x < resized.width; x++, p += 3) input[rowOut + x] = table[pixels[p]];
    }
  }
  return { input, inputSize: [resized.height, resized.width], originalSize: [image.height, image.width] };
}
