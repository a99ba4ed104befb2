// COCO files in and out of a project: import all of a file in one transaction (or none of it), export from the stored rows.
import fs from 'node:fs/promises';
import path from 'node:path';
import { MaskLoopError } from '../errors.js';
import { probeImageFile } from '../store/image-files.js';
import type { ImageRecord, NewImage } from '../store/images.js';
import type { Project } from '../store/project.js';
import { buildCocoExport, writeCocoFile } from './coco-export.js';
import { describeProblems, parseCocoJson, planCocoImport, planHasErrors, type CocoImportProblem, type PlannedImage } from './coco-import.js';

export interface ImportCocoOptions {
  /** The folder COCO's `file_name`s are relative to; defaults to the COCO file's folder. */
  imagesDir?: string;
  /** Import the good items of a file that has bad ones (the bad ones are reported, not imported). */
  skipBadItems?: boolean;
}

export interface CocoImportReport {
  images: { added: number; alreadyInProject: number };
  categories: { created: number; alreadyInProject: number };
  annotations: number;
  /** Annotations whose mask is their bbox, because the file gave no segmentation. */
  boxMasks: number;
  /** Warnings, and with skipBadItems the errors of the items left out. */
  problems: CocoImportProblem[];
}

export interface ExportCocoOptions {
  /** Polygons instead of compressed RLE. */
  polygons?: boolean;
  /** Only these categories (names ignore case). */
  categoryNames?: readonly string[];
}

export interface CocoExportReport {
  file: string;
  images: number;
  categories: number;
  annotations: number;
  bytes: number;
  /** The folder the file's `file_name`s are relative to (the images' deepest common folder). */
  imagesRoot: string;
}

// Files probed (read and hashed) at once.
const PROBE_CONCURRENCY = 8;

export async function importCocoIntoProject(project: Project, cocoPath: string, options: ImportCocoOptions = {}): Promise<CocoImportReport> {
  const json = parseCocoJson(await readCocoText(cocoPath), cocoPath);
  const imagesFolder = path.resolve(options.imagesDir ?? path.dirname(path.resolve(cocoPath)));
  if (options.imagesDir !== undefined && !(await isFolder(imagesFolder))) {
    throw new MaskLoopError('FILE_NOT_FOUND', `Images folder ${imagesFolder} does not exist; pass the folder that holds the COCO file's images.`);
  }
  const probed = await probeListedImages(json, imagesFolder);
  const plan = planCocoImport(json, {
    imageLookup: (fileName) => {
      const found = probed.get(fileName);
      if (found === undefined || 'missing' in found) return undefined;
      if ('reason' in found) return { unusable: found.reason };
      return found;
    },
    searchedIn: `in ${imagesFolder}`,
  });
  if (planHasErrors(plan) && !options.skipBadItems) {
    const errors = plan.problems.filter((p) => p.severity === 'error');
    throw new MaskLoopError(
      'INVALID_COCO',
      `${cocoPath} has ${errors.length} item(s) that cannot be imported, so nothing was imported:\n${describeProblems(errors)}\n` +
        'Fix them, or import the other items and leave these out (--skip-bad).',
    );
  }
  const report: CocoImportReport = {
    images: { added: 0, alreadyInProject: 0 },
    categories: { created: 0, alreadyInProject: 0 },
    annotations: 0,
    boxMasks: 0,
    problems: plan.problems,
  };
  project.transaction(() => {
    const imageIds = new Map<string, number>();
    for (const image of plan.images) {
      const { record, added } = addImage(project, probedImage(probed, image));
      imageIds.set(image.fileName, record.id);
      if (added) report.images.added++;
      else report.images.alreadyInProject++;
    }
    const categoryIds = new Map<string, number>();
    for (const category of plan.categories) {
      const existing = project.categories.getByName(category.name);
      if (existing) report.categories.alreadyInProject++;
      else report.categories.created++;
      const stored = existing ?? project.categories.create({ name: category.name, supercategory: category.supercategory ?? undefined });
      categoryIds.set(category.name, stored.id);
    }
    for (const annotation of plan.annotations) {
      project.annotations.create(
        {
          imageId: imageIds.get(annotation.imageFileName)!,
          categoryId: categoryIds.get(annotation.categoryName)!,
          mask: annotation.rle,
          bbox: annotation.bbox,
          area: annotation.area,
          iouPrediction: null,
          source: 'imported',
          maskFromBox: annotation.maskFromBox,
        },
        // A bulk import is not a correction: it is neither undone one by one nor counted toward fine-tuning.
        { recordHistory: false },
      );
      report.annotations++;
      if (annotation.maskFromBox) report.boxMasks++;
    }
  });
  return report;
}

export async function exportProjectCoco(project: Project, outPath: string, options: ExportCocoOptions = {}): Promise<CocoExportReport> {
  const images = project.images.listAll();
  const imagesRoot = commonFolder(images.map((image) => image.absolutePath)) ?? project.folder;
  const coco = buildCocoExport(
    {
      images: images.map((image) => ({ id: image.id, fileName: cocoFileName(image, imagesRoot), width: image.width, height: image.height })),
      categories: project.categories.list(),
      annotations: [...project.annotations.iterateLive()].map((a) => ({
        id: a.id,
        imageId: a.imageId,
        categoryId: a.categoryId,
        rle: a.mask,
        bbox: a.bbox,
        area: a.area,
      })),
    },
    { polygons: options.polygons, categoryNames: options.categoryNames, description: `MaskLoop project "${project.name}"` },
  );
  const { bytes } = await writeCocoFile(outPath, coco);
  return {
    file: path.resolve(outPath),
    images: coco.images.length,
    categories: coco.categories.length,
    annotations: coco.annotations.length,
    bytes,
    imagesRoot,
  };
}

async function readCocoText(cocoPath: string): Promise<string> {
  try {
    return await fs.readFile(cocoPath, 'utf8');
  } catch (error) {
    throw new MaskLoopError('FILE_NOT_FOUND', `Cannot read COCO file ${cocoPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path.`);
  }
}

async function isFolder(folder: string): Promise<boolean> {
  return (await fs.stat(folder).catch(() => undefined))?.isDirectory() ?? false;
}

type ProbeResult = NewImage | { reason: string } | { missing: true };

/** Reads size and hash of every file the COCO file lists (by `file_name`, relative to `imagesFolder`). */
async function probeListedImages(json: unknown, imagesFolder: string): Promise<Map<string, ProbeResult>> {
  const listed = typeof json === 'object' && json !== null && 'images' in json && Array.isArray(json.images) ? json.images : [];
  const fileNames = [
    ...new Set(
      listed.flatMap((image: unknown) =>
        typeof image === 'object' && image !== null && 'file_name' in image && typeof image.file_name === 'string' ? [image.file_name] : [],
      ),
    ),
  ];
  const results = new Map<string, ProbeResult>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < fileNames.length; i = next++) {
      const file = path.resolve(imagesFolder, fileNames[i]);
      const stat = await fs.stat(file).catch(() => undefined);
      results.set(fileNames[i], stat?.isFile() ? await probeImageFile(file) : { missing: true });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, fileNames.length) }, worker));
  return results;
}

function probedImage(probed: Map<string, ProbeResult>, image: PlannedImage): NewImage {
  const found = probed.get(image.fileName);
  if (found === undefined || 'missing' in found || 'reason' in found) {
    throw new MaskLoopError('PROJECT', `Image "${image.fileName}" was planned for import without a readable file.`);
  }
  return found;
}

/**
 * Adds the image unless its content is already in the project (a missing image with that content is
 * pointed at this file), the rule ImageLibrary applies. Synchronous, so it can join the import's transaction.
 */
function addImage(project: Project, image: NewImage): { record: ImageRecord; added: boolean } {
  const existing = project.images.getByHash(image.contentHash);
  if (!existing) return { record: project.images.insert(image), added: true };
  if (existing.status === 'missing') {
    project.images.setPath(existing.id, image.absolutePath);
    project.images.markFound(existing.id);
  }
  return { record: existing, added: false };
}

/** The deepest folder holding every file, or undefined when they share none (different drives). */
function commonFolder(files: readonly string[]): string | undefined {
  if (files.length === 0) return undefined;
  const outside = (folder: string, file: string) => {
    const relative = path.relative(folder, file);
    return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  };
  let common = path.dirname(files[0]);
  for (const file of files) {
    while (outside(common, file)) {
      const parent = path.dirname(common);
      if (parent === common) return undefined;
      common = parent;
    }
  }
  return common;
}

/** COCO file_name: the path below the images root with '/' separators. */
function cocoFileName(image: ImageRecord, imagesRoot: string): string {
  return path.relative(imagesRoot, image.absolutePath).split(path.sep).join('/');
}
