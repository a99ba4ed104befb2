// Reading image files for the library: walking folders, recognising formats by content, oriented size, sha256.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { readBmpSize } from './bmp-header.js';
import { IMAGE_FORMATS, type ImageFormat, type NewImage } from './images.js';

export interface SkippedFile {
  path: string;
  reason: string;
}

const SUPPORTED = 'JPEG, PNG, TIFF, WebP or BMP';
/** Enough for every header readBmpSize looks at. */
const BMP_HEADER_BYTES = 26;

/**
 * Yields every file under `paths` (folders recursively, in name order); hidden files and folders
 * (names starting with '.') are passed over. Paths that do not exist are reported in `skipped`.
 */
export async function* walkFiles(paths: readonly string[], skipped: SkippedFile[]): AsyncGenerator<string> {
  for (const given of paths) {
    const absolute = path.resolve(given);
    const stat = await fs.stat(absolute).catch(() => undefined);
    if (!stat) skipped.push({ path: absolute, reason: 'no such file or folder' });
    else if (stat.isDirectory()) yield* walkFolder(absolute, new Set());
    else if (stat.isFile()) yield absolute;
    else skipped.push({ path: absolute, reason: 'not a regular file' });
  }
}

async function* walkFolder(folder: string, visited: Set<string>): AsyncGenerator<string> {
  // Symbolic links may loop back to a parent; each real folder is walked once.
  const real = await fs.realpath(folder);
  if (visited.has(real)) return;
  visited.add(real);
  const names = (await fs.readdir(folder)).filter((name) => !name.startsWith('.')).sort();
  for (const name of names) {
    const full = path.join(folder, name);
    const stat = await fs.stat(full).catch(() => undefined);
    if (stat?.isDirectory()) yield* walkFolder(full, visited);
    else if (stat?.isFile()) yield full;
  }
}

/** Recognises the file by its content (not its extension) and reads what the library stores about it. */
export async function probeImageFile(file: string): Promise<NewImage | SkippedFile> {
  let byteSize: number;
  let header: Buffer;
  try {
    byteSize = (await fs.stat(file)).size;
    header = await readHeader(file);
  } catch (error) {
    return { path: file, reason: `could not be read (${(error as Error).message})` };
  }
  const size = readBmpSize(header) ?? (await readSharpSize(file));
  if ('reason' in size) return { path: file, reason: size.reason };
  return { absolutePath: file, byteSize, contentHash: await hashFile(file), ...size };
}

/** sha256 of the file's bytes, lowercase hex. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readHeader(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(BMP_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, BMP_HEADER_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Width and height as displayed: EXIF orientations 5-8 swap them. */
async function readSharpSize(file: string): Promise<{ format: ImageFormat; width: number; height: number } | { reason: string }> {
  let metadata: Metadata;
  try {
    metadata = await sharp(file).metadata();
  } catch {
    return { reason: `not an image MaskLoop can read (${SUPPORTED})` };
  }
  const format = metadata.format as string;
  if (!isSupportedFormat(format)) return { reason: `${format.toUpperCase()} images are not supported; convert it to ${SUPPORTED}` };
  const oriented = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
  if (!(oriented.width > 0 && oriented.height > 0)) return { reason: 'the image has no width or height' };
  return { format, width: oriented.width, height: oriented.height };
}

function isSupportedFormat(format: string): format is ImageFormat {
  return (IMAGE_FORMATS as readonly string[]).includes(format);
}
