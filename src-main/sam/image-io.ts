// Reads an image file into the 8-bit RGB pixels SAM takes, decoded the way the reference's PIL/OpenCV loading does.
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { MaskLoopError } from '../errors.js';
import { BMP_SIZE_BYTES, decodeBmp, isBmp, readBmpSize } from './bmp.js';

/** 8-bit RGB pixels in original image coordinates: `data` is HWC, row-major, `height * width * 3` bytes. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const READABLE_FORMATS = 'PNG, JPEG, TIFF, WebP, BMP';

/**
 * Decodes with EXIF orientation applied (as the annotator sees the page), grey expanded to RGB, alpha
 * dropped without compositing (PIL's convert('RGB')), 16-bit samples reduced to their high byte, and
 * the embedded ICC profile ignored (PIL and OpenCV ignore it too, so pixels equal the reference's).
 * BMP files (recognised by content) go to MaskLoop's own decoder, since the bundled libvips has none.
 */
export async function loadRgbImage(imagePath: string): Promise<RgbImage> {
  await requireFile(imagePath);
  if (isBmp(await readFilePrefix(imagePath))) return decodeBmp(await fs.readFile(imagePath), path.basename(imagePath));
  try {
    const { data, info } = await sharp(imagePath, { ignoreIcc: true })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels instead of 3`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw unreadable(imagePath, error);
  }
}

/** Width and height as `loadRgbImage` will return them (EXIF orientation applied), read from the header only. */
export async function readImageSize(imagePath: string): Promise<{ width: number; height: number }> {
  await requireFile(imagePath);
  const prefix = await readFilePrefix(imagePath);
  if (isBmp(prefix)) return readBmpSize(prefix, path.basename(imagePath));
  try {
    const { autoOrient } = await sharp(imagePath).metadata();
    return { width: autoOrient.width, height: autoOrient.height };
  } catch (error) {
    throw unreadable(imagePath, error);
  }
}

async function requireFile(imagePath: string): Promise<void> {
  try {
    await fs.access(imagePath);
  } catch (error) {
    throw new MaskLoopError('FILE_NOT_FOUND', `Image ${imagePath} does not exist or cannot be opened: check the path.`, { cause: error });
  }
}

/** The first bytes of the file, enough to recognise a BMP and read its size. */
async function readFilePrefix(imagePath: string): Promise<Uint8Array> {
  try {
    const handle = await fs.open(imagePath, 'r');
    try {
      const prefix = new Uint8Array(BMP_SIZE_BYTES);
      const { bytesRead } = await handle.read(prefix, 0, BMP_SIZE_BYTES, 0);
      return prefix.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadable(imagePath, error);
  }
}

function unreadable(imagePath: string, cause: unknown): MaskLoopError {
  return new MaskLoopError(
    'UNREADABLE_IMAGE',
    `${path.basename(imagePath)} is not an image MaskLoop can read (${READABLE_FORMATS}): convert it to PNG or JPEG and add it again.`,
    { cause },
  );
}
