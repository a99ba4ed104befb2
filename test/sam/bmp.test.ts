import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeBmp, readBmpSize } from '../../src-main/sam/bmp.js';
import { loadRgbImage, readImageSize } from '../../src-main/sam/image-io.js';
import { MaskLoopError } from '../../src-main/errors.js';

let tempDir = '';
before(() => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-bmp-'));
});
after(() => {
  fs.rmSync(tempDir, { recursive: true, force: true });
});

type Rgb = readonly [number, number, number];

interface BmpSpec {
  /** 12 (OS/2 core), 40 (BITMAPINFOHEADER), 52/56, 64 (OS/2 2.x), 108 (V4) or 124 (V5). */
  headerSize?: number;
  width: number;
  /** Negative for a top-down bitmap. */
  height: number;
  bitsPerPixel: number;
  compression?: number;
  palette?: readonly Rgb[];
  colorsUsed?: number;
  /** Inside the header when it has room (52 bytes and more), else right after it. */
  masks?: readonly number[];
  /** The pixel array exactly as stored: rows in file order, each padded to 4 bytes. */
  pixels: readonly number[];
}

/** A BMP file written field by field, as the Windows and OS/2 documentation lays it out. */
function bmpBytes(spec: BmpSpec): Buffer {
  const headerSize = spec.headerSize ?? 40;
  const header = Buffer.alloc(headerSize);
  header.writeUInt32LE(headerSize, 0);
  if (headerSize === 12) {
    header.writeUInt16LE(spec.width, 4);
    header.writeUInt16LE(spec.height, 6);
    header.writeUInt16LE(1, 8);
    header.writeUInt16LE(spec.bitsPerPixel, 10);
  } else {
    header.writeInt32LE(spec.width, 4);
    header.writeInt32LE(spec.height, 8);
    header.writeUInt16LE(1, 12);
    header.writeUInt16LE(spec.bitsPerPixel, 14);
    header.writeUInt32LE(spec.compression ?? 0, 16);
    header.writeUInt32LE(spec.pixels.length, 20);
    header.writeUInt32LE(2835, 24); // 72 dpi
    header.writeUInt32LE(2835, 28);
    header.writeUInt32LE(spec.colorsUsed ?? 0, 32);
  }
  const masksInHeader = headerSize >= 52 && spec.masks !== undefined;
  if (masksInHeader) spec.masks!.forEach((mask, i) => header.writeUInt32LE(mask, 40 + 4 * i));
  const masksAfter = Buffer.alloc(masksInHeader || !spec.masks ? 0 : 4 * spec.masks.length);
  if (!masksInHeader) spec.masks?.forEach((mask, i) => masksAfter.writeUInt32LE(mask, 4 * i));
  const entryBytes = headerSize === 12 ? 3 : 4;
  const palette = Buffer.alloc((spec.palette?.length ?? 0) * entryBytes);
  spec.palette?.forEach(([r, g, b], i) => palette.set([b, g, r], i * entryBytes));
  const pixelOffset = 14 + headerSize + masksAfter.length + palette.length;
  const fileHeader = Buffer.alloc(14);
  fileHeader.write('BM', 0, 'latin1');
  fileHeader.writeUInt32LE(pixelOffset + spec.pixels.length, 2);
  fileHeader.writeUInt32LE(pixelOffset, 10);
  return Buffer.concat([fileHeader, header, masksAfter, palette, Buffer.from(spec.pixels)]);
}

function writeBmp(name: string, spec: BmpSpec): string {
  const file = path.join(tempDir, name);
  fs.writeFileSync(file, bmpBytes(spec));
  return file;
}

function failsWith(message: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MaskLoopError, `expected a MaskLoopError, got ${String(error)}`);
    assert.equal(error.code, 'UNREADABLE_IMAGE');
    assert.equal(error.message, message);
    return true;
  };
}

function decoded(spec: BmpSpec): { width: number; height: number; rgb: number[] } {
  const image = decodeBmp(bmpBytes(spec), 'test.bmp');
  assert.equal(image.data.length, image.width * image.height * 3);
  return { width: image.width, height: image.height, rgb: [...image.data] };
}

const red: Rgb = [255, 0, 0];
const green: Rgb = [0, 255, 0];
const blue: Rgb = [0, 0, 255];
/** Palette entry i is (10i, 20i, 30i). */
const steps: Rgb[] = Array.from({ length: 8 }, (_, i) => [10 * i, 20 * i, 30 * i]);
const rgbOf = (colours: readonly Rgb[]) => colours.flat();

test('decodes a 24-bit bottom-up BMP with padded rows, top row first', () => {
  // 3 pixels x 3 bytes = 9, padded to 12; the file stores the bottom row first.
  const pixels = [3, 2, 1, 6, 5, 4, 9, 8, 7, 0, 0, 0, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0];
  assert.deepEqual(decoded({ width: 3, height: 2, bitsPerPixel: 24, pixels }), {
    width: 3,
    height: 2,
    rgb: rgbOf([red, green, blue, [1, 2, 3], [4, 5, 6], [7, 8, 9]]),
  });
});

test('decodes a 24-bit top-down BMP (negative height) without flipping it', () => {
  const pixels = [0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0, 3, 2, 1, 6, 5, 4, 9, 8, 7, 0, 0, 0];
  assert.deepEqual(decoded({ width: 3, height: -2, bitsPerPixel: 24, pixels }), {
    width: 3,
    height: 2,
    rgb: rgbOf([red, green, blue, [1, 2, 3], [4, 5, 6], [7, 8, 9]]),
  });
});

test('decodes 32-bit BI_RGB as BGRX, ignoring the fourth byte', () => {
  const pixels = [30, 20, 10, 99, 60, 50, 40, 255];
  assert.deepEqual(decoded({ width: 2, height: 1, bitsPerPixel: 32, pixels }).rgb, [10, 20, 30, 40, 50, 60]);
});

test('decodes 32-bit BI_BITFIELDS with the masks of a V5 header (RGBA byte order here), dropping alpha', () => {
  const masks = [0x000000ff, 0x0000ff00, 0x00ff0000, 0xff000000];
  const pixels = [10, 20, 30, 128, 40, 50, 60, 0];
  const image = decoded({ headerSize: 124, width: 2, height: 1, bitsPerPixel: 32, compression: 3, masks, pixels });
  assert.deepEqual(image.rgb, [10, 20, 30, 40, 50, 60]);
});

test('decodes 16-bit BI_RGB as RGB555, scaling 5 bits as floor(v * 255 / 31) like Pillow', () => {
  const word = (value: number) => [value & 0xff, value >> 8];
  // 3 pixels x 2 bytes = 6, padded to 8. Bottom row: white, black, 16/31 grey; top row: red, green, blue 16/31.
  const pixels = [...word(0x7fff), ...word(0x0000), ...word(0x4210), 0, 0, ...word(0x7c00), ...word(0x03e0), ...word(0x0010), 0, 0];
  assert.deepEqual(decoded({ width: 3, height: 2, bitsPerPixel: 16, pixels }).rgb, rgbOf([red, green, [0, 0, 131], [255, 255, 255], [0, 0, 0], [131, 131, 131]]));
});

test('decodes 16-bit BI_BITFIELDS RGB565 with the masks after a 40-byte header', () => {
  const word = (value: number) => [value & 0xff, value >> 8];
  // 0x0020: green 1/63 -> 4; 0x0841: red 1/31, green 2/63, blue 1/31 -> 8 each.
  const pixels = [...word(0xf800), ...word(0x07e0), ...word(0x0020), ...word(0x0841)];
  const image = decoded({ width: 4, height: 1, bitsPerPixel: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], pixels });
  assert.deepEqual(image.rgb, rgbOf([red, green, [0, 4, 0], [8, 8, 8]]));
});

test('decodes a 1-bit BMP through its palette, most significant bit first', () => {
  const dark: Rgb = [200, 0, 0];
  const light: Rgb = [0, 0, 90];
  // 10 pixels = 2 bytes per row, padded to 4. Top row 1000000001, bottom row 0101010101.
  const pixels = [0x55, 0x40, 0, 0, 0x80, 0x40, 0, 0];
  const image = decoded({ width: 10, height: 2, bitsPerPixel: 1, palette: [dark, light], pixels });
  const top = [light, ...Array<Rgb>(8).fill(dark), light];
  const bottom = Array.from({ length: 10 }, (_, x) => (x % 2 === 0 ? dark : light));
  assert.deepEqual(image.rgb, rgbOf([...top, ...bottom]));
});

test('decodes a 2-bit BMP through its four-colour palette', () => {
  // Indices 0 1 2 3 1 -> 0b00011011, 0b01000000.
  const image = decoded({ width: 5, height: 1, bitsPerPixel: 2, palette: steps.slice(0, 4), pixels: [0x1b, 0x40, 0, 0] });
  assert.deepEqual(image.rgb, rgbOf([steps[0], steps[1], steps[2], steps[3], steps[1]]));
});

test('decodes a 4-bit BMP with a short palette (biClrUsed 3); an index past it reads black', () => {
  const palette: Rgb[] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
  const image = decoded({ width: 4, height: 1, bitsPerPixel: 4, palette, colorsUsed: 3, pixels: [0x20, 0x15, 0, 0] });
  assert.deepEqual(image.rgb, rgbOf([[7, 8, 9], [1, 2, 3], [4, 5, 6], [0, 0, 0]]));
});

test('decodes an 8-bit BMP with a V4 header and a full 256-colour palette', () => {
  const palette: Rgb[] = Array.from({ length: 256 }, (_, i) => [i, 255 - i, i >> 1]);
  // Bottom row indices 128, 7; top row 0, 255.
  const image = decoded({ headerSize: 108, width: 2, height: 2, bitsPerPixel: 8, palette, pixels: [128, 7, 0, 0, 0, 255, 0, 0] });
  assert.deepEqual(image.rgb, rgbOf([palette[0], palette[255], palette[128], palette[7]]));
});

test('decodes an OS/2 1.x BMP (12-byte core header, 3-byte palette entries)', () => {
  const palette: Rgb[] = Array.from({ length: 256 }, (_, i) => [i, i ^ 0x55, 255 - i]);
  const image = decoded({ headerSize: 12, width: 1, height: 2, bitsPerPixel: 8, palette, pixels: [9, 0, 0, 0, 200, 0, 0, 0] });
  assert.deepEqual(image, { width: 1, height: 2, rgb: rgbOf([palette[200], palette[9]]) });
});

test('decodes RLE8: runs, an odd literal run with its pad byte, end of line, a delta over skipped pixels (index 0) and end of bitmap', () => {
  const pixels = [
    ...[3, 1, 0, 3, 2, 3, 4, 0, 0, 0], // bottom row: 1 1 1 | literal 2 3 4 (+pad) | end of line
    ...[2, 5, 0, 2, 2, 1], // middle row: 5 5, then move 2 right and 1 up
    ...[2, 6, 0, 1], // top row from x = 4: 6 6 | end of bitmap
  ];
  const image = decoded({ width: 6, height: 3, bitsPerPixel: 8, compression: 1, palette: steps, colorsUsed: 8, pixels });
  const rows = [
    [0, 0, 0, 0, 6, 6],
    [5, 5, 0, 0, 0, 0],
    [1, 1, 1, 2, 3, 4],
  ];
  assert.deepEqual(image.rgb, rgbOf(rows.flat().map((index) => steps[index])));
});

test('decodes RLE4: alternating nibble runs, a literal of 5 nibbles padded to 4 bytes, and a run past the row end cut off', () => {
  const pixels = [
    ...[5, 0x12, 0, 0], // bottom row: 1 2 1 2 1 | end of line
    ...[0, 5, 0x34, 0x56, 0x70, 0], // top row: literal 3 4 5 6 7 (+pad)
    ...[2, 0x11, 0, 0, 0, 1], // a run beyond the width | end of line | end of bitmap
  ];
  const image = decoded({ width: 5, height: 2, bitsPerPixel: 4, compression: 2, palette: steps, colorsUsed: 8, pixels });
  assert.deepEqual(image.rgb, rgbOf([3, 4, 5, 6, 7, 1, 2, 1, 2, 1].map((index) => steps[index])));
});

test('loadRgbImage and readImageSize read a BMP by its content, whatever its extension; a PNG named .bmp still goes to sharp', async () => {
  const pixels = [3, 2, 1, 6, 5, 4, 9, 8, 7, 0, 0, 0, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0];
  const bmp = writeBmp('scan.png', { width: 3, height: -2, bitsPerPixel: 24, pixels });
  assert.deepEqual(await readImageSize(bmp), { width: 3, height: 2 });
  const image = await loadRgbImage(bmp);
  assert.deepEqual([image.width, image.height, [...image.data]], [3, 2, rgbOf([[1, 2, 3], [4, 5, 6], [7, 8, 9], red, green, blue])]);

  const png = path.join(tempDir, 'photo.bmp');
  await sharp(new Uint8Array([10, 20, 30]), { raw: { width: 1, height: 1, channels: 3 } }).png().toFile(png);
  assert.deepEqual([...(await loadRgbImage(png)).data], [10, 20, 30]);
});

test('refuses a truncated BMP, saying how many bytes its pixels need', async () => {
  const whole = bmpBytes({ width: 3, height: 2, bitsPerPixel: 24, pixels: Array<number>(24).fill(7) });
  const file = path.join(tempDir, 'cut.bmp');
  fs.writeFileSync(file, whole.subarray(0, whole.length - 10));
  const message = 'cut.bmp is a truncated BMP: its 3x2 pixels need 75 bytes but the file has 68; copy the file again or save it as PNG.';
  await assert.rejects(loadRgbImage(file), failsWith(message));
  // The header alone is intact, so the size is still known.
  assert.deepEqual(await readImageSize(file), { width: 3, height: 2 });
});

test('accepts a BMP whose last row lacks its padding bytes, as some writers leave it', () => {
  const whole = bmpBytes({ width: 3, height: 2, bitsPerPixel: 24, pixels: [3, 2, 1, 6, 5, 4, 9, 8, 7, 0, 0, 0, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0] });
  const image = decodeBmp(whole.subarray(0, whole.length - 3), 'short.bmp');
  assert.deepEqual([...image.data], rgbOf([red, green, blue, [1, 2, 3], [4, 5, 6], [7, 8, 9]]));
});

test('refuses a BMP cut inside its header, in loadRgbImage and readImageSize', async () => {
  const file = path.join(tempDir, 'stub.bmp');
  fs.writeFileSync(file, bmpBytes({ width: 3, height: 2, bitsPerPixel: 24, pixels: [] }).subarray(0, 20));
  const message = 'stub.bmp is a truncated BMP: the file ends after 20 bytes, inside its header (which ends at byte 26); copy the file again or save it as PNG.';
  await assert.rejects(loadRgbImage(file), failsWith(message));
  await assert.rejects(readImageSize(file), failsWith(message));
});

test('refuses run-length data that stops before the last row', () => {
  const pixels = [3, 1, 0, 0, 3]; // one row, then half a pair
  const bytes = bmpBytes({ width: 3, height: 2, bitsPerPixel: 8, compression: 1, palette: steps, colorsUsed: 8, pixels });
  const message = 'scan.bmp is a truncated BMP: its run-length pixel data stops at row 2 of 2; copy the file again or save it as PNG.';
  assert.throws(() => decodeBmp(bytes, 'scan.bmp'), failsWith(message));
});

test('refuses BMPs that hold JPEG data or OS/2 RLE24, telling the user to save them as PNG', () => {
  const jpeg = bmpBytes({ width: 2, height: 2, bitsPerPixel: 0, compression: 4, pixels: [0xff, 0xd8, 0xff] });
  assert.throws(() => decodeBmp(jpeg, 'photo.bmp'), failsWith('photo.bmp is a compressed BMP (JPEG inside) that MaskLoop cannot read; save it as PNG.'));
  const rle24 = bmpBytes({ headerSize: 64, width: 2, height: 2, bitsPerPixel: 24, compression: 4, pixels: [2, 0, 0, 0] });
  assert.throws(() => decodeBmp(rle24, 'os2.bmp'), failsWith('os2.bmp is a compressed BMP (RLE24) that MaskLoop cannot read; save it as PNG.'));
});

test('refuses malformed headers: a split colour mask, a depth the compression cannot have, a zero width, an unknown header size', () => {
  const unknownHeaderSize = bmpBytes({ width: 1, height: 1, bitsPerPixel: 24, pixels: [0, 0, 0, 0] });
  unknownHeaderSize.writeUInt32LE(20, 14);
  const cases: [Buffer, string][] = [
    [
      bmpBytes({ width: 1, height: 1, bitsPerPixel: 16, compression: 3, masks: [0xf0f0, 0x0f00, 0x000f], pixels: [0, 0, 0, 0] }),
      'its red colour mask 0xf0f0 is not one run of bits',
    ],
    [bmpBytes({ width: 1, height: 1, bitsPerPixel: 24, compression: 1, pixels: [0, 1] }), 'it gives 24 bits per pixel, which RLE8 compression cannot have'],
    [bmpBytes({ width: 0, height: 1, bitsPerPixel: 24, pixels: [] }), 'its header gives a size of 0x1 pixels'],
    [unknownHeaderSize, 'its header size 20 is none of the BMP versions (12, 40, 52, 56, 64, 108 or 124 bytes)'],
  ];
  for (const [bytes, detail] of cases) {
    assert.throws(() => decodeBmp(bytes, 'odd.bmp'), failsWith(`odd.bmp is a malformed BMP: ${detail}; save it as PNG and add it again.`));
  }
});

test('readBmpSize reads the size of a top-down BMP from its first 26 bytes', () => {
  const prefix = bmpBytes({ width: 640, height: -480, bitsPerPixel: 24, pixels: [] }).subarray(0, 26);
  assert.deepEqual(readBmpSize(prefix, 'scan.bmp'), { width: 640, height: 480 });
});
