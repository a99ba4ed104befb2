// The image library: adds files and folders (de-duplicated by content), notices missing files, relinks moved ones.
import fs from 'node:fs/promises';
import type { SqliteDatabase } from './database.js';
import { hashFile, probeImageFile, walkFiles, type SkippedFile } from './image-files.js';
import type { ImageRecord, ImagesRepository, NewImage } from './images.js';

export interface AddImagesReport {
  added: ImageRecord[];
  /** Files whose content is already in the project. */
  duplicates: { path: string; existingImageId: number }[];
  /** Files whose content matched a missing image: that image now points at the file. */
  relinked: { path: string; imageId: number }[];
  skipped: SkippedFile[];
}

export interface MissingCheck {
  /** Images whose file was there and is now gone (or replaced by a file of another size). */
  nowMissing: number[];
  /** Missing images whose file is back. */
  found: number[];
}

export interface RelinkReport {
  relinked: { imageId: number; path: string }[];
  stillMissing: number;
}

/** Files are written to the project in transactions of this many, so a large folder is not one fsync per file. */
const ADD_BATCH = 200;
/** Files checked at once for existence. */
const STAT_CONCURRENCY = 32;

export class ImageLibrary {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly images: ImagesRepository,
  ) {}

  /** Adds image files and folders (recursively). Missing images keep their annotations and are relinked if seen. */
  async add(paths: readonly string[]): Promise<AddImagesReport> {
    const report: AddImagesReport = { added: [], duplicates: [], relinked: [], skipped: [] };
    let batch: NewImage[] = [];
    for await (const file of walkFiles(paths, report.skipped)) {
      const probed = await probeImageFile(file);
      if ('reason' in probed) {
        report.skipped.push(probed);
        continue;
      }
      batch.push(probed);
      if (batch.length >= ADD_BATCH) {
        this.store(batch, report);
        batch = [];
      }
    }
    this.store(batch, report);
    return report;
  }

  /**
   * Checks every image's file: gone ones become 'missing' (their annotations stay), returned ones
   * get their status back. A file of a different byte size counts as gone: it is another image now.
   */
  async refreshMissing(): Promise<MissingCheck> {
    const all = this.images.listAll();
    const present = await mapConcurrently(all, STAT_CONCURRENCY, async (image) => {
      const stat = await fs.stat(image.absolutePath).catch(() => undefined);
      return stat !== undefined && stat.isFile() && stat.size === image.byteSize;
    });
    const check: MissingCheck = { nowMissing: [], found: [] };
    this.db.transaction(() => {
      all.forEach((image, index) => {
        if (!present[index] && image.status !== 'missing') {
          this.images.markMissing(image.id);
          check.nowMissing.push(image.id);
        } else if (present[index] && image.status === 'missing') {
          this.images.markFound(image.id);
          check.found.push(image.id);
        }
      });
    })();
    return check;
  }

  /** Searches `searchFolder` (recursively) for the files of missing images by size, then sha256, and points the images at them. */
  async relink(searchFolder: string): Promise<RelinkReport> {
    const missingBySize = new Map<number, ImageRecord[]>();
    for (const image of this.images.listWithStatus('missing')) {
      missingBySize.set(image.byteSize, [...(missingBySize.get(image.byteSize) ?? []), image]);
    }
    const relinked: RelinkReport['relinked'] = [];
    let stillMissing = [...missingBySize.values()].reduce((n, images) => n + images.length, 0);
    for await (const file of walkFiles([searchFolder], [])) {
      if (stillMissing === 0) break;
      const size = (await fs.stat(file)).size;
      const candidates = missingBySize.get(size);
      if (!candidates) continue;
      const hash = await hashFile(file);
      const match = candidates.find((image) => image.contentHash === hash);
      if (!match) continue;
      this.db.transaction(() => {
        this.images.setPath(match.id, file);
        this.images.markFound(match.id);
      })();
      missingBySize.set(size, candidates.filter((image) => image !== match));
      relinked.push({ imageId: match.id, path: file });
      stillMissing--;
    }
    return { relinked, stillMissing };
  }

  private store(batch: readonly NewImage[], report: AddImagesReport): void {
    this.db.transaction(() => {
      for (const image of batch) {
        const existing = this.images.getByHash(image.contentHash);
        if (!existing) {
          report.added.push(this.images.insert(image));
        } else if (existing.status === 'missing') {
          this.images.setPath(existing.id, image.absolutePath);
          this.images.markFound(existing.id);
          report.relinked.push({ path: image.absolutePath, imageId: existing.id });
        } else {
          report.duplicates.push({ path: image.absolutePath, existingImageId: existing.id });
        }
      }
    })();
  }
}

async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await map(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
