// Decodes Windows and OS/2 BMP files to 8-bit RGB (the bundled libvips has no BMP loader), pixel for pixel as Pillow does.
import { MaskLoopError } from '../errors.js';
import type { RgbImage } from './image-io.js';

/** Bytes from the start of a file that hold everything `readBmpSize` reads. */
export const BMP_SIZE_BYTES = 26;

const FILE_HEADER_BYTES = 14;
const CORE_HEADER_SIZE = 12; // OS/2 1.x BITMAPCOREHEADER: 16-bit size, BGR palette entries
const OS2_INFO_HEADER_SIZE = 64; // OS/2 2.x: compression codes 3 and 4 mean other things than in Windows
/** BITMAPINFOHEADER, its V2 and V3 extensions (masks), OS/2 2.x, BITMAPV4HEADER and BITMAPV5HEADER. */
const INFO_HEADER_SIZES: ReadonlySet<number> = new Set([40, 52, 56, OS2_INFO_HEADER_SIZE, 108, 124]);
const MASKS_OFFSET = FILE_HEADER_BYTES + 40; // inside V2+ headers, or right after a 40-byte header
// Sharp's default pixel limit, so that a malformed run-length header cannot ask for gigabytes.
const MAX_PIXELS = 0x3fff * 0x3fff;

type PixelEncoding = 'uncompressed' | 'rle8' | 'rle4' | 'bitfields';

const WINDOWS_COMPRESSIONS: Readonly<Record<number, PixelEncoding | string>> = {
  0: 'uncompressed',
  1: 'rle8',
  2: 'rle4',
  3: 'bitfields',
  4: 'JPEG inside',
  5: 'PNG inside',
  6: 'bitfields', // BI_ALPHABITFIELDS: a fourth (alpha) mask follows, which RGB output ignores
  11: 'CMYK',
  12: 'CMYK RLE8',
  13: 'CMYK RLE4',
};
const OS2_COMPRESSIONS: Readonly<Record<number, PixelEncoding | string>> = {
  0: 'uncompressed',
  1: 'rle8',
  2: 'rle4',
  3: 'Huffman 1D',
  4: 'RLE24',
};
const DEPTHS: Readonly<Record<PixelEncoding, readonly number[]>> = {
  uncompressed: [1, 2, 4, 8, 16, 24, 32],
  rle8: [8],
  rle4: [4],
  bitfields: [16, 32],
};
const DECODABLE: ReadonlySet<string> = new Set<PixelEncoding>(['uncompressed', 'rle8', 'rle4', 'bitfields']);

/** Where one colour channel sits in a 16- or 32-bit pixel; values scale to 0..255 as floor(v * 255 / max). */
interface ChannelMask {
  readonly mask: number;
  readonly shift: number;
  readonly max: number;
}

/** Channel masks of uncompressed 16-bit (RGB555) and 32-bit (BGRX) pixels. */
const RGB555_MASKS = [0x7c00, 0x03e0, 0x001f];
const BGRX_MASKS = [0xff0000, 0x00ff00, 0x0000ff];

/** How a pixel's bits become RGB. */
type PixelFormat =
  /** 1, 2, 4 or 8 bits: RGB triples for every index the depth can hold; entries the file leaves out stay black. */
  | { readonly kind: 'indexed'; readonly palette: Uint8Array }
  | { readonly kind: 'bgr' }
  /** 16 or 32 bits: red, green and blue masks. */
  | { readonly kind: 'masked'; readonly masks: readonly ChannelMask[] };

interface BmpLayout {
  readonly width: number;
  readonly height: number;
  /** Rows stored top row first; otherwise (the usual case) the bottom row comes first. */
  readonly topDown: boolean;
  readonly bitsPerPixel: number;
  readonly encoding: PixelEncoding;
  readonly format: PixelFormat;
  readonly pixelOffset: number;
  /** Bytes per stored row of uncompressed pixels: whole pixels rounded up to a multiple of 4 bytes. */
  readonly rowStride: number;
}

/** The rest of the user-facing sentence that starts with the file's name. */
class BmpProblem extends Error {}

const malformed = (detail: string) => new BmpProblem(`is a malformed BMP: ${detail}; save it as PNG and add it again.`);
const truncated = (detail: string) => new BmpProblem(`is a truncated BMP: ${detail}; copy the file again or save it as PNG.`);

/** True when the bytes start with the BMP magic "BM" (the content decides, not the extension). */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** Width and height from the first `BMP_SIZE_BYTES` bytes of a BMP file; throws UNREADABLE_IMAGE naming `fileName`. */
export function readBmpSize(prefix: Uint8Array, fileName: string): { width: number; height: number } {
  return withFileName(fileName, () => {
    const { width, height } = readDimensions(dataView(prefix));
    return { width, height };
  });
}

/**
 * Decodes a whole BMP file to RGB, top row first (bottom-up files are flipped). Alpha (32-bit masks)
 * is dropped without compositing and 16-bit channels scale as floor(v * 255 / max), both as Pillow
 * does; pixels that run-length data skips take palette index 0. Throws UNREADABLE_IMAGE naming `fileName`.
 */
export function decodeBmp(bytes: Uint8Array, fileName: string): RgbImage {
  return withFileName(fileName, () => {
    const layout = readLayout(bytes);
    const data = new Uint8Array(layout.width * layout.height * 3);
    const { format } = layout;
    if (format.kind === 'indexed') colourIndices(layout, readIndices(bytes, layout), format.palette, data);
    else if (format.kind === 'bgr') readBgr(bytes, layout, data);
    else readMasked(bytes, layout, format.masks, data);
    return { width: layout.width, height: layout.height, data };
  });
}

function withFileName<T>(fileName: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof BmpProblem) throw new MaskLoopError('UNREADABLE_IMAGE', `${fileName} ${error.message}`);
    throw error;
  }
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function requireBytes(view: DataView, end: number, what: string): void {
  if (view.byteLength < end) throw truncated(`the file ends after ${view.byteLength} bytes, inside ${what} (which ends at byte ${end})`);
}

function readDimensions(view: DataView): { headerSize: number; width: number; height: number; topDown: boolean } {
  if (view.byteLength < 2 || view.getUint16(0, true) !== 0x4d42) throw malformed('it does not start with "BM"');
  requireBytes(view, BMP_SIZE_BYTES, 'its header');
  const headerSize = view.getUint32(14, true);
  let width: number;
  let height: number;
  let topDown = false;
  if (headerSize === CORE_HEADER_SIZE) {
    width = view.getUint16(18, true);
    height = view.getUint16(20, true);
  } else if (INFO_HEADER_SIZES.has(headerSize)) {
    width = view.getInt32(18, true);
    const signedHeight = view.getInt32(22, true);
    // A negative height marks a top-down bitmap; the size is its absolute value.
    topDown = signedHeight < 0;
    height = Math.abs(signedHeight);
  } else {
    throw malformed(`its header size ${headerSize} is none of the BMP versions (12, 40, 52, 56, 64, 108 or 124 bytes)`);
  }
  if (!(width > 0 && height > 0)) throw malformed(`its header gives a size of ${width}x${height} pixels`);
  if (width * height > MAX_PIXELS) throw malformed(`its header gives ${width}x${height} pixels, more than MaskLoop reads (${MAX_PIXELS})`);
  return { headerSize, width, height, topDown };
}

function readLayout(bytes: Uint8Array): BmpLayout {
  const view = dataView(bytes);
  const { headerSize, width, height, topDown } = readDimensions(view);
  const headersEnd = FILE_HEADER_BYTES + headerSize;
  requireBytes(view, headersEnd, `its ${headerSize}-byte header`);
  const isCore = headerSize === CORE_HEADER_SIZE;
  const bitsPerPixel = view.getUint16(isCore ? 24 : 28, true);
  const compression = isCore ? 0 : view.getUint32(30, true);
  const encoding = pixelEncoding(compression, headerSize);
  checkDepth(encoding, bitsPerPixel);
  if (topDown && (encoding === 'rle8' || encoding === 'rle4')) throw malformed('its height is negative (top-down), which run-length data cannot be');

  // A 40-byte header is followed by its masks (three, or four with BI_ALPHABITFIELDS); later versions hold them.
  const masksEnd = encoding === 'bitfields' && headerSize === 40 ? headersEnd + (compression === 6 ? 16 : 12) : headersEnd;
  let format: PixelFormat;
  let paletteEnd = masksEnd;
  if (encoding === 'bitfields') {
    requireBytes(view, Math.max(masksEnd, MASKS_OFFSET + 12), 'its colour masks');
    format = maskedFormat([0, 1, 2].map((i) => view.getUint32(MASKS_OFFSET + 4 * i, true)));
  } else if (bitsPerPixel === 16 || bitsPerPixel === 32) {
    format = maskedFormat(bitsPerPixel === 16 ? RGB555_MASKS : BGRX_MASKS);
  } else if (bitsPerPixel === 24) {
    format = { kind: 'bgr' };
  } else {
    const indexCount = 1 << bitsPerPixel;
    const colorsUsed = isCore ? 0 : view.getUint32(46, true);
    const entryCount = colorsUsed === 0 ? indexCount : Math.min(colorsUsed, indexCount);
    const entryBytes = isCore ? 3 : 4; // BGR, or BGR and a reserved byte
    paletteEnd = masksEnd + entryCount * entryBytes;
    requireBytes(view, paletteEnd, `its colour palette of ${entryCount} entries`);
    const palette = new Uint8Array(indexCount * 3);
    for (let i = 0; i < entryCount; i++) {
      const entry = masksEnd + i * entryBytes;
      palette.set([bytes[entry + 2], bytes[entry + 1], bytes[entry]], i * 3);
    }
    format = { kind: 'indexed', palette };
  }

  // An offset of 0 (left unset by some writers) means the pixels follow the palette, as Pillow reads it.
  const pixelOffset = view.getUint32(10, true) || paletteEnd;
  const rowStride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (encoding !== 'rle8' && encoding !== 'rle4') {
    // Some writers leave out the padding of the last row; its pixels are all that is needed.
    const pixelsEnd = pixelOffset + rowStride * (height - 1) + Math.ceil((width * bitsPerPixel) / 8);
    if (bytes.byteLength < pixelsEnd) throw truncated(`its ${width}x${height} pixels need ${pixelsEnd} bytes but the file has ${bytes.byteLength}`);
  }
  return { width, height, topDown, bitsPerPixel, encoding, format, pixelOffset, rowStride };
}

function pixelEncoding(compression: number, headerSize: number): PixelEncoding {
  const name = (headerSize === OS2_INFO_HEADER_SIZE ? OS2_COMPRESSIONS : WINDOWS_COMPRESSIONS)[compression];
  if (name === undefined) throw malformed(`its compression code ${compression} is not a BMP compression`);
  if (!isDecodable(name)) throw new BmpProblem(`is a compressed BMP (${name}) that MaskLoop cannot read; save it as PNG.`);
  return name;
}

function isDecodable(name: string): name is PixelEncoding {
  return DECODABLE.has(name);
}

function checkDepth(encoding: PixelEncoding, bitsPerPixel: number): void {
  if (!DEPTHS[encoding].includes(bitsPerPixel)) {
    throw malformed(`it gives ${bitsPerPixel} bits per pixel, which ${encoding === 'uncompressed' ? 'no BMP has' : `${encoding.toUpperCase()} compression cannot have`}`);
  }
}

function maskedFormat(rgbMasks: readonly number[]): PixelFormat {
  const masks = rgbMasks.map((mask, i) => {
    const channel = ['red', 'green', 'blue'][i];
    if (mask === 0) throw malformed(`its ${channel} colour mask is empty`);
    const shift = 31 - Math.clz32(mask & -mask);
    const max = mask >>> shift;
    if ((max & (max + 1)) !== 0) throw malformed(`its ${channel} colour mask 0x${mask.toString(16)} is not one run of bits`);
    return { mask, shift, max };
  });
  return { kind: 'masked', masks };
}

/** The file row that holds image row `y` (row 0 at the top). */
function fileRow(layout: BmpLayout, y: number): number {
  return layout.topDown ? y : layout.height - 1 - y;
}

/** Palette indices in file row order, `width * height` of them. */
function readIndices(bytes: Uint8Array, layout: BmpLayout): Uint8Array {
  if (layout.encoding === 'rle8' || layout.encoding === 'rle4') return decodeRunLengths(bytes, layout);
  const { width, height, bitsPerPixel, rowStride } = layout;
  const indices = new Uint8Array(width * height);
  const indexMask = (1 << bitsPerPixel) - 1;
  for (let row = 0; row < height; row++) {
    const rowStart = layout.pixelOffset + row * rowStride;
    for (let x = 0; x < width; x++) {
      // Pixels are packed from the most significant bits of each byte.
      const bit = x * bitsPerPixel;
      indices[row * width + x] = (bytes[rowStart + (bit >> 3)] >> (8 - bitsPerPixel - (bit & 7))) & indexMask;
    }
  }
  return indices;
}

/**
 * RLE8 and RLE4: (count, value) pairs repeat a value; (0, 0) ends the row, (0, 1) the bitmap, (0, 2, dx, dy)
 * moves right and up, and (0, n) starts n literal pixels padded to an even byte count. Runs past the row's
 * end are cut off, as Pillow does.
 */
function decodeRunLengths(bytes: Uint8Array, layout: BmpLayout): Uint8Array {
  const { width, height } = layout;
  const isRle4 = layout.encoding === 'rle4';
  const indices = new Uint8Array(width * height);
  let x = 0;
  let row = 0;
  let p = layout.pixelOffset;
  const put = (index: number) => {
    if (x < width && row < height) indices[row * width + x] = index;
    x++;
  };
  const need = (count: number) => {
    if (p + count > bytes.byteLength) throw truncated(`its run-length pixel data stops at row ${row + 1} of ${height}`);
  };
  while (row < height) {
    need(2);
    const count = bytes[p];
    const value = bytes[p + 1];
    p += 2;
    if (count > 0) {
      for (let i = 0; i < count; i++) put(isRle4 ? (i & 1 ? value & 0x0f : value >> 4) : value);
    } else if (value === 0) {
      x = 0;
      row++;
    } else if (value === 1) {
      break;
    } else if (value === 2) {
      need(2);
      x += bytes[p];
      row += bytes[p + 1];
      p += 2;
    } else {
      const literalBytes = isRle4 ? Math.ceil(value / 2) : value;
      need(literalBytes);
      for (let i = 0; i < value; i++) put(isRle4 ? (i & 1 ? bytes[p + (i >> 1)] & 0x0f : bytes[p + (i >> 1)] >> 4) : bytes[p + i]);
      p += literalBytes + (literalBytes & 1);
    }
  }
  return indices;
}

// out: rgb uint8[H,W,3], top row first; in: indices uint8[H*W] in file row order.
function colourIndices(layout: BmpLayout, indices: Uint8Array, palette: Uint8Array, rgb: Uint8Array): void {
  const { width, height } = layout;
  for (let y = 0; y < height; y++) {
    const source = fileRow(layout, y) * width;
    for (let x = 0; x < width; x++) {
      const entry = indices[source + x] * 3;
      const out = (y * width + x) * 3;
      rgb[out] = palette[entry];
      rgb[out + 1] = palette[entry + 1];
      rgb[out + 2] = palette[entry + 2];
    }
  }
}

// out: rgb uint8[H,W,3], top row first, from 24-bit BGR pixels.
function readBgr(bytes: Uint8Array, layout: BmpLayout, rgb: Uint8Array): void {
  const { width, height, rowStride } = layout;
  for (let y = 0; y < height; y++) {
    const rowStart = layout.pixelOffset + fileRow(layout, y) * rowStride;
    for (let x = 0; x < width; x++) {
      const p = rowStart + x * 3;
      const out = (y * width + x) * 3;
      rgb[out] = bytes[p + 2];
      rgb[out + 1] = bytes[p + 1];
      rgb[out + 2] = bytes[p];
    }
  }
}

// out: rgb uint8[H,W,3], top row first, from little-endian 16- or 32-bit pixels split by channel masks.
function readMasked(bytes: Uint8Array, layout: BmpLayout, masks: readonly ChannelMask[], rgb: Uint8Array): void {
  const { width, height, rowStride } = layout;
  const bytesPerPixel = layout.bitsPerPixel / 8;
  const view = dataView(bytes);
  for (let y = 0; y < height; y++) {
    const rowStart = layout.pixelOffset + fileRow(layout, y) * rowStride;
    for (let x = 0; x < width; x++) {
      const p = rowStart + x * bytesPerPixel;
      const pixel = bytesPerPixel === 2 ? view.getUint16(p, true) : view.getUint32(p, true);
      const out = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const { mask, shift, max } = masks[c];
        rgb[out + c] = Math.floor((((pixel & mask) >>> shift) * 255) / max);
      }
    }
  }
}
