// Bilinear resize of 8-bit RGB that reproduces Pillow's Image.resize(size, BILINEAR) bit for bit (port of libImaging/Resample.c).
import { MaskLoopError } from '../errors.js';
import type { RgbImage } from './image-io.js';

/** Pillow keeps 22 fraction bits so that 8-bit values times coefficients fit in an int32 with room for overflow. */
const PRECISION_BITS = 32 - 8 - 2;
const ONE_HALF = 1 << (PRECISION_BITS - 1);
const BILINEAR_SUPPORT = 1;

/** For each output index: the first input index and how many inputs it reads, plus their fixed-point weights. */
interface ResampleCoefficients {
  /** Pairs [firstInput, inputCount] per output index. */
  readonly bounds: Int32Array;
  /** Weights in Q22, `kernelSize` slots per output index (unused slots are 0). */
  readonly weights: Int32Array;
  readonly kernelSize: number;
}

function triangle(x: number): number {
  const distance = x < 0 ? -x : x;
  return distance < 1 ? 1 - distance : 0;
}

/**
 * Resample.c's precompute_coeffs + normalize_coeffs_8bpc for the box [0, inSize): a triangle filter
 * widened by the downscale factor (antialiasing), normalised per output, then rounded to Q22.
 */
function precomputeCoefficients(inSize: number, outSize: number): ResampleCoefficients {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = BILINEAR_SUPPORT * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * kernelSize);
  const taps = new Float64Array(kernelSize);
  const inverseFilterScale = 1 / filterScale;
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    // C's (int) cast truncates toward zero; Math.trunc keeps that for the negative values clamped below.
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const count = Math.min(inSize, Math.trunc(center + support + 0.5)) - first;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const w = triangle((i + first - center + 0.5) * inverseFilterScale);
      taps[i] = w;
      total += w;
    }
    for (let i = 0; i < count; i++) {
      const w = total !== 0 ? taps[i] / total : taps[i];
      weights[out * kernelSize + i] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[out * 2] = first;
    bounds[out * 2 + 1] = count;
  }
  return { bounds, weights, kernelSize };
}

/**
 * Horizontal pass over rows [firstRow, firstRow + rowCount) of `source`.
 * Writing through a Uint8ClampedArray is Pillow's clip8: the Q22 sum shifted down, clamped to 0..255.
 */
function resampleHorizontal(
  source: Uint8Array,
  sourceWidth: number,
  firstRow: number,
  rowCount: number,
  outWidth: number,
  { bounds, weights, kernelSize }: ResampleCoefficients,
): Uint8Array {
  const out = new Uint8ClampedArray(outWidth * rowCount * 3);
  const sourceStride = sourceWidth * 3;
  let o = 0;
  for (let y = 0; y < rowCount; y++) {
    const rowStart = (y + firstRow) * sourceStride;
    for (let x = 0; x < outWidth; x++) {
      const count = bounds[x * 2 + 1];
      const kernel = x * kernelSize;
      let p = rowStart + bounds[x * 2] * 3;
      let r = ONE_HALF;
      let g = ONE_HALF;
      let b = ONE_HALF;
      // Int32 arithmetic like Pillow's (255 * 2^22 summed stays below 2^31); about 10% faster here than doubles.
      for (let i = 0; i < count; i++, p += 3) {
        const w = weights[kernel + i];
        r = (r + Math.imul(source[p], w)) | 0;
        g = (g + Math.imul(source[p + 1], w)) | 0;
        b = (b + Math.imul(source[p + 2], w)) | 0;
      }
      out[o++] = r >> PRECISION_BITS;
      out[o++] = g >> PRECISION_BITS;
      out[o++] = b >> PRECISION_BITS;
    }
  }
  return new Uint8Array(out.buffer);
}

/** Vertical pass; `rowOffset` maps the coefficients' input rows to rows of `source`. */
function resampleVertical(
  source: Uint8Array,
  width: number,
  rowOffset: number,
  outHeight: number,
  { bounds, weights, kernelSize }: ResampleCoefficients,
): Uint8Array {
  const rowLength = width * 3;
  const out = new Uint8ClampedArray(rowLength * outHeight);
  // Integer sums are exact, so accumulating a whole row per tap gives Pillow's per-pixel result.
  const sums = new Float64Array(rowLength);
  for (let y = 0; y < outHeight; y++) {
    sums.fill(ONE_HALF);
    const count = bounds[y * 2 + 1];
    for (let i = 0; i < count; i++) {
      const w = weights[y * kernelSize + i];
      const rowStart = (bounds[y * 2] - rowOffset + i) * rowLength;
      for (let j = 0; j < rowLength; j++) sums[j] += source[rowStart + j] * w;
    }
    const outStart = y * rowLength;
    for (let j = 0; j < rowLength; j++) out[outStart + j] = sums[j] >> PRECISION_BITS;
  }
  return new Uint8Array(out.buffer);
}

/**
 * Pillow's ImagingResampleInner: horizontal pass first, only over the rows the vertical pass will read,
 * then the vertical pass; a pass whose size does not change is skipped, so an unchanged size is a copy.
 */
export function resizeBilinear(image: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new MaskLoopError('INVALID_ARGUMENT', `Cannot resize an image to ${width}x${height}: the size must be whole positive pixels.`);
  }
  const vertical = precomputeCoefficients(image.height, height);
  let pixels = image.data;
  let rowOffset = 0;
  if (width !== image.width) {
    const firstRow = vertical.bounds[0];
    const lastRow = vertical.bounds[height * 2 - 2] + vertical.bounds[height * 2 - 1];
    pixels = resampleHorizontal(pixels, image.width, firstRow, lastRow - firstRow, width, precomputeCoefficients(image.width, width));
    rowOffset = firstRow;
  }
  if (height !== image.height) {
    pixels = resampleVertical(pixels, width, rowOffset, height, vertical);
  }
  return { width, height, data: pixels === image.data ? pixels.slice() : pixels };
}
