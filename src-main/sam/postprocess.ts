// SAM's mask post-processing (Sam.postprocess_masks): 256x256 low-res logits -> logits or a binary mask at the original image size.
import { MaskLoopError } from '../errors.js';
import { SAM_INPUT_SIZE, type ImageSize } from './transforms.js';

/** Side of the decoder's low-res logits, which cover the padded 1024 frame at a quarter of its resolution. */
export const LOW_RES_SIZE = 256;

/**
 * One axis of the whole post-processing as a single linear map: output index -> up to 3 consecutive
 * low-res indices starting at `first[i]`, weighted by `weights[3i .. 3i+2]`.
 */
interface AxisTaps {
  readonly first: Int32Array;
  readonly weights: Float64Array;
}

/**
 * F.interpolate(mode='bilinear', align_corners=False) along one axis: each output index reads `index` and
 * `index + 1` (or `index` twice at the end). The scale is float32 as in PyTorch; rounding the source index
 * to float32 too moves the reference's logits by 2e-5, keeping it in float64 matches them to 3e-7.
 */
function linearTaps(inSize: number, outSize: number): { index: Int32Array; next: Int32Array; lambda: Float64Array } {
  const scale = Math.fround(inSize / outSize);
  const index = new Int32Array(outSize);
  const next = new Int32Array(outSize);
  const lambda = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const source = Math.max(0, scale * (i + 0.5) - 0.5);
    const i0 = Math.min(Math.floor(source), inSize - 1);
    index[i] = i0;
    next[i] = i0 < inSize - 1 ? i0 + 1 : i0;
    lambda[i] = Math.min(Math.max(source - i0, 0), 1);
  }
  return { index, next, lambda };
}

/**
 * Bilinear low-res -> 1024, crop to `croppedSize`, bilinear -> `outSize`, composed into one map. Both steps
 * read neighbouring indices and the first one upsamples, so every output reads at most 3 low-res indices.
 */
function composedAxisTaps(croppedSize: number, outSize: number): AxisTaps {
  const toPadded = linearTaps(LOW_RES_SIZE, SAM_INPUT_SIZE);
  const toOut = linearTaps(croppedSize, outSize);
  const first = new Int32Array(outSize);
  const weights = new Float64Array(outSize * 3);
  for (let i = 0; i < outSize; i++) {
    const start = Math.min(toPadded.index[toOut.index[i]], LOW_RES_SIZE - 3);
    first[i] = start;
    const outerLambda = toOut.lambda[i];
    const padded = [toOut.index[i], toOut.next[i]];
    const paddedWeights = [1 - outerLambda, outerLambda];
    for (let j = 0; j < 2; j++) {
      const c = padded[j];
      const innerLambda = toPadded.lambda[c];
      weights[i * 3 + toPadded.index[c] - start] += paddedWeights[j] * (1 - innerLambda);
      weights[i * 3 + toPadded.next[c] - start] += paddedWeights[j] * innerLambda;
    }
  }
  return { first, weights };
}

/** Everything about one (inputSize, originalSize) pair that does not depend on the logits. */
interface UpscalePlan {
  readonly height: number;
  readonly width: number;
  readonly rows: AxisTaps;
  readonly columns: AxisTaps;
  /** Low-res rows [firstRow, firstRow + rowCount) are the only ones any output row reads. */
  readonly firstRow: number;
  readonly rowCount: number;
}

function planUpscale(inputSize: ImageSize, originalSize: ImageSize): UpscalePlan {
  const [inputHeight, inputWidth] = inputSize;
  const [height, width] = originalSize;
  const sizes = [inputHeight, inputWidth, height, width];
  if (!sizes.every((s) => Number.isInteger(s) && s >= 1) || inputHeight > SAM_INPUT_SIZE || inputWidth > SAM_INPUT_SIZE) {
    throw new MaskLoopError(
      'INVALID_ARGUMENT',
      `Cannot post-process masks for input size ${inputHeight}x${inputWidth} and original size ${height}x${width}: sizes must be whole pixels, the input at most ${SAM_INPUT_SIZE}.`,
    );
  }
  const rows = composedAxisTaps(inputHeight, height);
  const columns = composedAxisTaps(inputWidth, width);
  const firstRow = rows.first[0];
  return { height, width, rows, columns, firstRow, rowCount: rows.first[height - 1] + 3 - firstRow };
}

/** in: one mask's low-res logits at `offset` in float32[K,256,256]; out: the needed rows, float64[rowCount, width]. */
function resampleColumns(lowRes: Float32Array, offset: number, plan: UpscalePlan): Float64Array {
  const { width, firstRow, rowCount } = plan;
  const { first, weights } = plan.columns;
  const out = new Float64Array(rowCount * width);
  for (let r = 0; r < rowCount; r++) {
    const rowStart = offset + (firstRow + r) * LOW_RES_SIZE;
    const outStart = r * width;
    for (let x = 0; x < width; x++) {
      const p = rowStart + first[x];
      const w = x * 3;
      out[outStart + x] = weights[w] * lowRes[p] + weights[w + 1] * lowRes[p + 1] + weights[w + 2] * lowRes[p + 2];
    }
  }
  return out;
}

/** Output row `y` of one mask, from `resampleColumns`' result, into `target[targetStart .. targetStart + width)`. */
function resampleRow(columnsDone: Float64Array, plan: UpscalePlan, y: number, target: Float32Array, targetStart: number): void {
  const { width, firstRow } = plan;
  const w = y * 3;
  const w0 = plan.rows.weights[w];
  const w1 = plan.rows.weights[w + 1];
  const w2 = plan.rows.weights[w + 2];
  const a = (plan.rows.first[y] - firstRow) * width;
  const b = a + width;
  const c = b + width;
  for (let x = 0; x < width; x++) target[targetStart + x] = w0 * columnsDone[a + x] + w1 * columnsDone[b + x] + w2 * columnsDone[c + x];
}

function checkLowRes(lowResLogits: Float32Array, maskCount: number): void {
  if (!Number.isInteger(maskCount) || maskCount < 1 || lowResLogits.length !== maskCount * LOW_RES_SIZE * LOW_RES_SIZE) {
    throw new MaskLoopError(
      'INVALID_ARGUMENT',
      `Expected ${maskCount} low-res masks of ${LOW_RES_SIZE}x${LOW_RES_SIZE} (${maskCount * LOW_RES_SIZE * LOW_RES_SIZE} values), got ${lowResLogits.length} values.`,
    );
  }
}

/**
 * Sam.postprocess_masks: bilinear (align_corners=False) to 1024x1024, crop to `inputSize`, bilinear to
 * `originalSize`; both resizes are applied as one separable map, which agrees with the two steps to float32 rounding.
 * in: lowResLogits float32[K,256,256] (the padded 1024 frame); out: logits float32[K,H,W] (original pixels).
 */
export function upscaleLowResLogits(lowResLogits: Float32Array, maskCount: number, inputSize: ImageSize, originalSize: ImageSize): Float32Array {
  checkLowRes(lowResLogits, maskCount);
  const plan = planUpscale(inputSize, originalSize);
  const { height, width } = plan;
  const out = new Float32Array(maskCount * height * width);
  for (let k = 0; k < maskCount; k++) {
    const columnsDone = resampleColumns(lowResLogits, k * LOW_RES_SIZE * LOW_RES_SIZE, plan);
    for (let y = 0; y < height; y++) resampleRow(columnsDone, plan, y, out, (k * height + y) * width);
  }
  return out;
}

/** SAM's `masks > mask_threshold`: 1 where the logit exceeds `threshold`, else 0, same layout as `logits`. */
export function maskFromLogits(logits: Float32Array, threshold = 0): Uint8Array {
  const mask = new Uint8Array(logits.length);
  for (let i = 0; i < logits.length; i++) mask[i] = logits[i] > threshold ? 1 : 0;
  return mask;
}

/**
 * One mask of `upscaleLowResLogits` thresholded, without the float32 image in between (4 bytes per pixel
 * saved on a full-size scan). in: lowResLogits float32[K,256,256]; out: uint8[H,W] of 0/1 in original pixels.
 */
export function lowResToBinaryMask(
  lowResLogits: Float32Array,
  maskCount: number,
  maskIndex: number,
  inputSize: ImageSize,
  originalSize: ImageSize,
  threshold = 0,
): Uint8Array {
  checkLowRes(lowResLogits, maskCount);
  if (!Number.isInteger(maskIndex) || maskIndex < 0 || maskIndex >= maskCount) {
    throw new MaskLoopError('INVALID_ARGUMENT', `Mask ${maskIndex} does not exist: the decoder returned ${maskCount} masks.`);
  }
  const plan = planUpscale(inputSize, originalSize);
  const { height, width } = plan;
  const columnsDone = resampleColumns(lowResLogits, maskIndex * LOW_RES_SIZE * LOW_RES_SIZE, plan);
  const mask = new Uint8Array(height * width);
  // float32 like upscaleLowResLogits' output, so this mask equals maskFromLogits of it pixel for pixel.
  const row = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    resampleRow(columnsDone, plan, y, row, 0);
    const rowStart = y * width;
    for (let x = 0; x < width; x++) mask[rowStart + x] = row[x] > threshold ? 1 : 0;
  }
  return mask;
}
