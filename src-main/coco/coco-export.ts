// Builds a COCO instances file from a project's rows and writes it atomically (temp file, fsync, rename).
//
// Segmentation is compressed RLE by default, exactly what pycocotools' mask.encode writes. With
// `polygons`, masks become pixel-edge polygons (holes keyholed, see polygons.ts) that pycocotools
// rasterises back to the same pixels; an empty mask has no polygon and keeps its RLE.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MaskLoopError } from '../errors.js';
import type { CocoFile } from './coco-format.js';
import { runsToPolygons } from './polygons.js';
import { areaOfRuns, bboxOfRuns, toRuns, type Bbox, type CocoRle, type RunLengths } from './rle.js';

export interface ExportImage {
  id: number;
  fileName: string;
  width: number;
  height: number;
}

export interface ExportCategory {
  id: number;
  name: string;
  supercategory?: string | null;
}

export interface ExportAnnotation {
  id: number;
  imageId: number;
  categoryId: number;
  /** size [height, width] of its image. */
  rle: CocoRle;
  /** [x, y, w, h]; computed from the mask when absent. */
  bbox?: Bbox;
  /** Computed from the mask when absent. */
  area?: number;
  iscrowd?: 0 | 1;
}

export interface CocoExportInput {
  images: readonly ExportImage[];
  categories: readonly ExportCategory[];
  annotations: readonly ExportAnnotation[];
}

export interface CocoExportOptions {
  /** Write polygons instead of compressed RLE. */
  polygons?: boolean;
  /** Export only these categories (names ignore case) and their annotations; every image is kept, as a negative if need be. */
  categoryNames?: readonly string[];
  description?: string;
  now?: Date;
}

export function buildCocoExport(input: CocoExportInput, options: CocoExportOptions = {}): CocoFile {
  const categories = chosenCategories(input.categories, options.categoryNames);
  const categoryIds = new Set(input.categories.map((c) => c.id));
  const chosenIds = new Set(categories.map((c) => c.id));
  const images = new Map(input.images.map((image) => [image.id, image]));
  const annotations: CocoFile['annotations'] = [];
  for (const annotation of input.annotations) {
    const image = images.get(annotation.imageId);
    if (image === undefined) throw inconsistent(`annotation ${annotation.id} belongs to image ${annotation.imageId}, which is not among the exported images.`);
    if (!categoryIds.has(annotation.categoryId)) throw inconsistent(`annotation ${annotation.id} has category ${annotation.categoryId}, which is not among the categories.`);
    if (!chosenIds.has(annotation.categoryId)) continue;
    const [maskHeight, maskWidth] = annotation.rle.size;
    if (maskHeight !== image.height || maskWidth !== image.width) {
      throw inconsistent(`annotation ${annotation.id}'s mask is ${maskWidth}x${maskHeight} but its image "${image.fileName}" is ${image.width}x${image.height}.`);
    }
    annotations.push(exportedAnnotation(annotation, options.polygons === true));
  }
  const now = options.now ?? new Date();
  return {
    info: {
      description: options.description ?? 'Exported by MaskLoop',
      version: '1.0',
      year: now.getUTCFullYear(),
      date_created: now.toISOString(),
      contributor: '',
      url: '',
    },
    licenses: [],
    images: input.images.map((image) => ({ id: image.id, file_name: image.fileName, width: image.width, height: image.height })),
    categories: categories.map((c) => ({ id: c.id, name: c.name, supercategory: c.supercategory ?? '' })),
    annotations,
  };
}

function inconsistent(message: string): MaskLoopError {
  return new MaskLoopError('PROJECT', `Cannot export: ${message} The project is inconsistent; run its integrity check.`);
}

function chosenCategories(categories: readonly ExportCategory[], names: readonly string[] | undefined): readonly ExportCategory[] {
  if (names === undefined || names.length === 0) return categories;
  // Names are matched ignoring case, as a project keeps them unique.
  const wanted = new Set(names.map((name) => name.trim().toLowerCase()));
  const unknown = names.filter((name) => !categories.some((c) => c.name.toLowerCase() === name.trim().toLowerCase()));
  if (unknown.length > 0) {
    const known = categories.map((c) => `"${c.name}"`).join(', ') || 'none';
    throw new MaskLoopError('INVALID_ARGUMENT', `No category named ${unknown.map((n) => `"${n}"`).join(', ')} in this project; its categories are ${known}.`);
  }
  return categories.filter((c) => wanted.has(c.name.toLowerCase()));
}

function exportedAnnotation(annotation: ExportAnnotation, asPolygons: boolean): CocoFile['annotations'][number] {
  // Parse the counts string only when something has to be computed from the mask.
  let runs: RunLengths | undefined;
  const maskRuns = () => (runs ??= toRuns(annotation.rle));
  const polygons = asPolygons ? runsToPolygons(maskRuns()) : [];
  return {
    id: annotation.id,
    image_id: annotation.imageId,
    category_id: annotation.categoryId,
    segmentation: polygons.length > 0 ? polygons : { size: annotation.rle.size, counts: annotation.rle.counts },
    area: annotation.area ?? areaOfRuns(maskRuns()),
    bbox: annotation.bbox ?? bboxOfRuns(maskRuns()),
    iscrowd: annotation.iscrowd ?? 0,
  };
}

/**
 * Writes the file so that a crash never leaves half of it: everything goes to a temp file in the same
 * folder, is fsynced, and replaces `filePath` in one rename. Lists are serialised one item at a time, so
 * exports larger than the biggest string JavaScript can hold still work.
 */
export async function writeCocoFile(filePath: string, coco: CocoFile): Promise<{ bytes: number }> {
  const folder = path.dirname(path.resolve(filePath));
  const tempPath = path.join(folder, `.${path.basename(filePath)}.${randomUUID()}.tmp`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(tempPath, 'wx');
  } catch (error) {
    throw new MaskLoopError('INVALID_ARGUMENT', `Cannot write ${filePath}: ${(error as Error).message}. Check that the folder exists and is writable.`);
  }
  let bytes = 0;
  try {
    const pending: string[] = [];
    let pendingLength = 0;
    const write = async (text: string) => {
      pending.push(text);
      pendingLength += text.length;
      if (pendingLength < 1 << 20) return;
      await flush();
    };
    const flush = async () => {
      const chunk = Buffer.from(pending.join(''), 'utf8');
      pending.length = 0;
      pendingLength = 0;
      await handle.write(chunk);
      bytes += chunk.byteLength;
    };
    const entries: [string, unknown][] = Object.entries(coco);
    await write('{');
    for (const [i, [key, value]] of entries.entries()) {
      await write(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`);
      if (Array.isArray(value)) {
        await write('[');
        for (let j = 0; j < value.length; j++) await write((j > 0 ? ',' : '') + JSON.stringify(value[j]));
        await write(']');
      } else {
        await write(JSON.stringify(value));
      }
    }
    await write('}\n');
    await flush();
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(tempPath, { force: true });
    throw new MaskLoopError('INVALID_ARGUMENT', `Writing ${filePath} failed (${(error as Error).message}); the previous file, if any, is unchanged.`, { cause: error });
  }
  await handle.close();
  await fs.rename(tempPath, filePath);
  await syncFolder(folder);
  return { bytes };
}

/** Makes the rename itself durable; some platforms (Windows) cannot open a folder, and need not. */
async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    // The file is complete either way; only the rename's durability across a power cut is at stake.
  } finally {
    await handle?.close();
  }
}
