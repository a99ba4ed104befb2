// images.*: the project's image library, and each image's bytes for display (not over the request channel).
import fs from 'node:fs/promises';
import sharp from 'sharp';
import type { ImageRecord } from '../../store/images.js';
import type { ImageInfo, MaskLoopApi } from '../contract.js';
import type { ServiceContext } from '../service-context.js';

/** Formats every browser shows as they are; TIFF and BMP are converted for display. */
const BROWSER_FORMATS: Partial<Record<ImageRecord['format'], string>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export function toImageInfo(image: ImageRecord): ImageInfo {
  return {
    id: image.id,
    fileName: image.fileName,
    path: image.absolutePath,
    width: image.width,
    height: image.height,
    contentHash: image.contentHash,
    status: image.status,
  };
}

export function imagesHandlers(context: ServiceContext): MaskLoopApi['images'] {
  return {
    async add({ paths }) {
      const report = await context.requireProject().library.add(paths);
      return { added: report.added.length, duplicates: report.duplicates.length, relinked: report.relinked.length, skipped: report.skipped };
    },
    async list({ offset, limit, status }) {
      const { images } = context.requireProject();
      return { items: images.list({ offset, limit, status }).map(toImageInfo), total: images.count(status) };
    },
    async get({ imageId }) {
      return toImageInfo(context.requireProject().images.require(imageId));
    },
    async relink({ folder }) {
      const report = await context.requireProject().library.relink(folder);
      return { relinked: report.relinked.length, stillMissing: report.stillMissing };
    },
  };
}

/**
 * The image as a browser can show it, EXIF orientation included (browsers apply it to JPEGs by
 * default, so the page shows the same pixels, in the same frame, that SAM sees).
 */
export async function readImageForDisplay(context: ServiceContext, imageId: number): Promise<{ bytes: Buffer; mimeType: string }> {
  const image = context.requireProject().images.require(imageId);
  const mimeType = BROWSER_FORMATS[image.format];
  if (mimeType) return { bytes: await fs.readFile(image.absolutePath), mimeType };
  return { bytes: await sharp(image.absolutePath).rotate().png({ compressionLevel: 1 }).toBuffer(), mimeType: 'image/png' };
}
