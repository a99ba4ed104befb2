// COCO run-length encoding of binary masks, ported from pycocotools' common/maskApi.c (rleEncode, rleDecode,
// rleToString, rleFrString, rleArea, rleToBbox) so that MaskLoop's RLE strings are byte-for-byte the ones
// pycocotools writes and reads.
import { MaskLoopError } from '../errors.js';

/** Compressed COCO RLE as it appears in a COCO file: `size` is [height, width]. */
export interface CocoRle {
  size: [number, number];
  counts: string;
}

/** Uncompressed COCO RLE (used for `iscrowd` regions in COCO files): the runs as plain numbers. */
export interface UncompressedRle {
  size: [number, number];
  counts: number[];
}

/**
 * Runs over the mask read column by column (pixel (x, y) is run position x*height + y), alternating
 * background and foreground and always starting with background (a first run of 0 when pixel (0,0) is set).
 */
export interface RunLengths {
  height: number;
  width: number;
  counts: Uint32Array;
}

/** [x, y, width, height] in pixels of the original image, COCO's bbox layout. */
export type Bbox = [number, number, number, number];

// Run positions are handled as int32 in the string codec, so a mask may hold at most 2^31 - 1 pixels.
const MAX_PIXELS = 0x7fffffff;

function checkSize(height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0 || height * width > MAX_PIXELS) {
    throw new MaskLoopError('INVALID_ARGUMENT', `A mask of ${height}x${width} pixels cannot be run-length encoded: the size must be non-negative integers with at most 2^31-1 pixels.`);
  }
}

// Scratch buffers reused across calls, so encoding and decoding allocate little more than their results.
// A "toggle" is a pixel (x, y) where the mask changes value: reading down a column for encoding, and where
// a column's foreground starts or ends for decoding.
let toggleX = new Int32Array(1 << 14);
let toggleY = new Int32Array(1 << 14);
let toggleCount = 0;
let paddedRows = new Uint32Array(0);

function pushToggle(x: number, y: number): void {
  if (toggleCount === toggleX.length) {
    const grownX = new Int32Array(toggleX.length * 2);
    const grownY = new Int32Array(toggleY.length * 2);
    grownX.set(toggleX);
    grownY.set(toggleY);
    toggleX = grownX;
    toggleY = grownY;
  }
  toggleX[toggleCount] = x;
  toggleY[toggleCount] = y;
  toggleCount++;
}

/** Orders the toggles by `key` (x or y), stably: a counting sort, O(toggles + keyCount). */
function toggleOrder(key: Int32Array, keyCount: number): Int32Array {
  const start = new Int32Array(keyCount + 1);
  for (let i = 0; i < toggleCount; i++) start[key[i] + 1]++;
  for (let k = 0; k < keyCount; k++) start[k + 1] += start[k];
  const order = new Int32Array(toggleCount);
  for (let i = 0; i < toggleCount; i++) order[start[key[i]]++] = i;
  return order;
}

/** The mask's rows as 32-bit words, rows padded to whole words (copied only when the rows are not aligned). */
function rowWords(mask: Uint8Array, height: number, width: number): { words: Uint32Array; wordsPerRow: number } {
  const wordsPerRow = Math.ceil(width / 4);
  if (width % 4 === 0 && mask.byteOffset % 4 === 0) {
    return { words: new Uint32Array(mask.buffer, mask.byteOffset, height * wordsPerRow), wordsPerRow };
  }
  if (paddedRows.length < height * wordsPerRow) paddedRows = new Uint32Array(height * wordsPerRow);
  const words = paddedRows.subarray(0, height * wordsPerRow);
  const bytes = new Uint8Array(words.buffer, 0, height * wordsPerRow * 4);
  for (let y = 0; y < height; y++) {
    bytes.set(mask.subarray(y * width, (y + 1) * width), y * wordsPerRow * 4);
    bytes.fill(0, y * wordsPerRow * 4 + width, (y + 1) * wordsPerRow * 4);
  }
  return { words, wordsPerRow };
}

/** The first word from `start` on that differs from the word one row above; a tight loop V8 compiles well. */
function nextChangedWord(words: Uint32Array, start: number, wordsPerRow: number): number {
  const end = words.length;
  let i = start;
  while (i < end && words[i] === words[i - wordsPerRow]) i++;
  return i;
}

/**
 * Records every pixel whose value differs from the pixel before it in column-major order. Rows are compared
 * with the row above four pixels at a time; the toggles come out in row-scan order (y, then x ascending).
 */
function collectColumnToggles(mask: Uint8Array, height: number, width: number): void {
  toggleCount = 0;
  // Row 0: a column's first pixel follows the previous column's last pixel (and the mask starts at 0).
  for (let x = 0; x < width; x++) {
    const before = x === 0 ? false : mask[(height - 1) * width + x - 1] !== 0;
    if ((mask[x] !== 0) !== before) pushToggle(x, 0);
  }
  const { words, wordsPerRow } = rowWords(mask, height, width);
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.length * 4);
  const rowBytes = wordsPerRow * 4;
  for (let i = nextChangedWord(words, wordsPerRow, wordsPerRow); i < words.length; i = nextChangedWord(words, i + 1, wordsPerRow)) {
    const y = Math.floor(i / wordsPerRow);
    const x0 = (i - y * wordsPerRow) * 4;
    for (let b = 0; b < 4; b++) {
      if ((bytes[i * 4 + b] !== 0) !== (bytes[i * 4 + b - rowBytes] !== 0)) pushToggle(x0 + b, y);
    }
  }
}

/** rleEncode. in: mask uint8[height, width] row-major, nonzero = foreground. */
export function encodeRuns(mask: Uint8Array, height: number, width: number): RunLengths {
  checkSize(height, width);
  if (mask.length !== height * width) {
    throw new MaskLoopError('INVALID_ARGUMENT', `The mask has ${mask.length} pixels but its size says ${height}x${width} = ${height * width}.`);
  }
  if (height === 0 || width === 0) return { height, width, counts: Uint32Array.of(0) };
  collectColumnToggles(mask, height, width);
  const order = toggleOrder(toggleX, width);
  const counts = new Uint32Array(toggleCount + 1);
  let previous = 0;
  for (let i = 0; i < toggleCount; i++) {
    const position = toggleX[order[i]] * height + toggleY[order[i]];
    counts[i] = position - previous;
    previous = position;
  }
  counts[toggleCount] = height * width - previous;
  return { height, width, counts };
}

/**
 * Decodes the part of the mask inside `window` ([x, y, width, height], in mask pixels).
 * out: uint8[window height, window width] row-major, 0/1.
 * Each foreground run becomes, per column it covers, a toggle where it starts and one where it ends; a row
 * buffer flipped at those toggles is copied out row by row, so the writes stay sequential.
 */
export function decodeRunsWindow(runs: RunLengths, window: Bbox): Uint8Array {
  const [wx, wy, ww, wh] = window;
  const { height, counts } = runs;
  const out = new Uint8Array(ww * wh);
  if (ww === 0 || wh === 0) return out;
  toggleCount = 0;
  let position = 0;
  for (let j = 0; j < counts.length; j++) {
    const end = position + counts[j];
    if (j % 2 === 1 && end > position) {
      const firstColumn = Math.floor(position / height);
      const lastColumn = Math.floor((end - 1) / height);
      for (let x = Math.max(firstColumn, wx); x <= Math.min(lastColumn, wx + ww - 1); x++) {
        const top = Math.max(x === firstColumn ? position - x * height : 0, wy);
        const bottom = Math.min(x === lastColumn ? end - x * height : height, wy + wh);
        if (top >= bottom) continue;
        pushToggle(x - wx, top - wy);
        if (bottom < wy + wh) pushToggle(x - wx, bottom - wy);
      }
    }
    position = end;
  }
  const order = toggleOrder(toggleY, wh);
  const row = new Uint8Array(ww);
  let next = 0;
  for (let y = 0; y < wh; y++) {
    while (next < toggleCount && toggleY[order[next]] === y) row[toggleX[order[next++]]] ^= 1;
    out.set(row, y * ww);
  }
  return out;
}

/** rleDecode. out: uint8[height, width] row-major, 0/1. */
export function decodeRuns(runs: RunLengths): Uint8Array {
  return decodeRunsWindow(runs, [0, 0, runs.width, runs.height]);
}

/** rleToString: LEB128-like, 5 bits per char offset by 48, runs after the third stored as deltas to run i-2. */
export function runsToString(counts: ArrayLike<number>): string {
  // A 32-bit value needs at most 7 five-bit groups.
  const chars = new Uint8Array(counts.length * 7);
  let length = 0;
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i] | 0;
    if (i > 2) x -= counts[i - 2] | 0;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      chars[length++] = c + 48;
    }
  }
  let text = '';
  for (let i = 0; i < length; i += 8192) text += String.fromCharCode(...chars.subarray(i, Math.min(i + 8192, length)));
  return text;
}

function invalidRle(message: string): MaskLoopError {
  return new MaskLoopError('INVALID_COCO', `${message} Re-export the file with pycocotools or skip this annotation.`);
}

/** rleFrString, rejecting what pycocotools would silently misread: bad characters, a cut-off number, negative runs. */
export function runsFromString(text: string, height: number, width: number): RunLengths {
  checkSize(height, width);
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let scale = 1;
    let more = true;
    while (more) {
      if (p >= text.length) throw invalidRle('The RLE counts string ends in the middle of a number.');
      const c = text.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw invalidRle(`The RLE counts string has the character "${text[p]}" at ${p}; only ASCII 48-111 are allowed.`);
      x += (c & 0x1f) * scale;
      more = (c & 0x20) !== 0;
      p++;
      scale *= 32;
      if (!more && c & 0x10) x -= scale;
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    if (x < 0) throw invalidRle(`The RLE counts string decodes to a negative run (${x}) at run ${counts.length}.`);
    counts.push(x);
  }
  return checkedRuns(Uint32Array.from(counts), height, width);
}

function checkedRuns(counts: Uint32Array, height: number, width: number): RunLengths {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total !== height * width) {
    throw invalidRle(`The RLE runs cover ${total} pixels but its size ${height}x${width} has ${height * width}.`);
  }
  return { height, width, counts };
}

function checkedSize(size: unknown): [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((n) => Number.isInteger(n) && n >= 0)) {
    throw invalidRle(`The RLE size ${JSON.stringify(size)} is not [height, width].`);
  }
  return [size[0], size[1]];
}

/** Reads a COCO RLE object (compressed or uncompressed) into runs, checking that the runs cover the mask exactly. */
export function toRuns(rle: CocoRle | UncompressedRle): RunLengths {
  const [height, width] = checkedSize(rle.size);
  if (typeof rle.counts === 'string') return runsFromString(rle.counts, height, width);
  if (!Array.isArray(rle.counts) || !rle.counts.every((n) => Number.isInteger(n) && n >= 0 && n <= MAX_PIXELS)) {
    throw invalidRle('The uncompressed RLE counts must be non-negative integers.');
  }
  checkSize(height, width);
  return checkedRuns(Uint32Array.from(rle.counts), height, width);
}

/** The same mask with empty runs folded away (a leading 0 stays: it means the first pixel is foreground), as rleEncode writes it. */
export function canonicalRuns(runs: RunLengths): RunLengths {
  const { counts } = runs;
  if (counts.length === 0) return { ...runs, counts: Uint32Array.of(0) };
  const folded: number[] = [counts[0]];
  for (let j = 1; j < counts.length; j++) {
    if (counts[j] > 0) folded.push(counts[j]);
    else if (j + 1 < counts.length) folded[folded.length - 1] += counts[++j];
  }
  return { ...runs, counts: Uint32Array.from(folded) };
}

export function compressRuns(runs: RunLengths): CocoRle {
  return { size: [runs.height, runs.width], counts: runsToString(runs.counts) };
}

/** in: mask uint8[height, width] row-major, nonzero = foreground. out: compressed COCO RLE, as pycocotools' `mask.encode`. */
export function encodeMask(mask: Uint8Array, height: number, width: number): CocoRle {
  return compressRuns(encodeRuns(mask, height, width));
}

/** out: uint8[height, width] row-major, 0/1, as pycocotools' `mask.decode` (which returns it column-major). */
export function decodeMask(rle: CocoRle | UncompressedRle): Uint8Array {
  return decodeRuns(toRuns(rle));
}

/** rleArea: the number of foreground pixels. */
export function areaOfRuns(runs: RunLengths): number {
  let area = 0;
  for (let j = 1; j < runs.counts.length; j += 2) area += runs.counts[j];
  return area;
}

export function rleArea(rle: CocoRle | UncompressedRle): number {
  return areaOfRuns(toRuns(rle));
}

/**
 * rleToBbox (the current cocoapi version, which skips empty foreground runs). A mask without foreground
 * gives [0,0,0,0]; pycocotools returns that only when the runs hold no foreground run at all, and wraps
 * around in unsigned ints for runs like [5, 0, 3].
 */
export function bboxOfRuns(runs: RunLengths): Bbox {
  const { height: h, width: w, counts } = runs;
  const m = Math.floor(counts.length / 2) * 2;
  if (m === 0 || h === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let end = 0;
  for (let j = 0; j < m; j++) {
    const start = end;
    end += counts[j];
    if (j % 2 === 0 || counts[j] === 0) continue;
    const yStart = start % h;
    const xStart = (start - yStart) / h;
    const yEnd = (end - 1) % h;
    const xEnd = (end - 1 - yEnd) / h;
    xs = Math.min(xs, xStart);
    xe = Math.max(xe, xEnd);
    if (xStart < xEnd) {
      // The run crosses a column boundary, so it touches both the top and the bottom row.
      ys = 0;
      ye = h - 1;
    } else {
      ys = Math.min(ys, yStart);
      ye = Math.max(ye, yEnd);
    }
  }
  if (xs > xe) return [0, 0, 0, 0];
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

export function rleToBbox(rle: CocoRle | UncompressedRle): Bbox {
  return bboxOfRuns(toRuns(rle));
}
