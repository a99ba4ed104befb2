// Reads a COCO instances file into an import plan: every image, category and annotation checked on its own,
// masks rasterised as pycocotools does, and a list of problems. Pure: the caller decides what to import.
//
// Errors exclude an item (and the annotations that depend on it); the caller refuses the whole file while
// there are errors unless the user asked to skip bad items. Warnings do not exclude anything:
// - an annotation with no segmentation but a bbox gets the box as its mask, flagged `maskFromBox`, so a
//   detection-only set (stamps with boxes) can seed a project while its box masks stay recognisable;
// - a malformed bbox is recomputed from the mask.
// `area` is always the mask's pixel count (what a project stores); COCO files written from polygons carry
// the polygon's area instead, which differs by a fraction of the outline.
import { MaskLoopError } from '../errors.js';
import {
  cocoAnnotationSchema,
  cocoCategorySchema,
  cocoFileSchema,
  cocoImageSchema,
  describeIssues,
  type CocoAnnotation,
  type CocoId,
  type CocoSegmentation,
} from './coco-format.js';
import { polygonsToRuns, rleFromBbox, type CocoPolygon } from './polygons.js';
import { areaOfRuns, bboxOfRuns, canonicalRuns, compressRuns, toRuns, type Bbox, type CocoRle, type RunLengths } from './rle.js';

export interface ImageOnDisk {
  width: number;
  height: number;
}

/** An image file that exists but cannot be used, and why. */
export interface UnusableImage {
  unusable: string;
}

export interface CocoImportOptions {
  /** The size of the image file `fileName` (COCO's `file_name`) as shown (EXIF-oriented); undefined when there is no such file. */
  imageLookup(fileName: string): ImageOnDisk | UnusableImage | undefined;
  /** Where imageLookup looked, for the "not found" message (e.g. "next to the COCO file"). */
  searchedIn?: string;
}

export interface PlannedImage {
  cocoId: CocoId;
  fileName: string;
  width: number;
  height: number;
}

export interface PlannedCategory {
  cocoId: CocoId;
  name: string;
  supercategory: string | null;
}

export interface PlannedAnnotation {
  cocoId: CocoId;
  imageFileName: string;
  categoryName: string;
  /** Canonical compressed RLE of the mask, [height, width] of its image. */
  rle: CocoRle;
  /** [x, y, w, h] as the file gives it (clipped to the image), or from the mask when the file has none. */
  bbox: Bbox;
  /** Pixels in the mask. */
  area: number;
  iscrowd: 0 | 1;
  /** The file had only a bbox: the mask is that box, not a traced outline. */
  maskFromBox: boolean;
}

export interface CocoImportProblem {
  /** Where in the file, e.g. "annotations[3]". */
  path: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface CocoImportPlan {
  images: PlannedImage[];
  categories: PlannedCategory[];
  annotations: PlannedAnnotation[];
  problems: CocoImportProblem[];
}

// Polygon vertices may overshoot the image by this much (rounding in the tool that wrote them); pycocotools
// clips them while rasterising. Further out, the annotation does not belong to this image.
const EDGE_TOLERANCE_PX = 1;

/** JSON.parse with a message that names the file; a COCO file that is not JSON cannot be planned at all. */
export function parseCocoJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MaskLoopError('INVALID_COCO', `${source} is not valid JSON (${(error as Error).message}): is it a COCO file, and was it written completely?`);
  }
}

export function planHasErrors(plan: CocoImportPlan): boolean {
  return plan.problems.some((p) => p.severity === 'error');
}

/** The problems as lines for a person, at most `limit` of them. */
export function describeProblems(problems: readonly CocoImportProblem[], limit = 20): string {
  const lines = problems.slice(0, limit).map((p) => `  ${p.severity} at ${p.path || 'top level'}: ${p.message}`);
  if (problems.length > limit) lines.push(`  ... and ${problems.length - limit} more`);
  return lines.join('\n');
}

export function planCocoImport(json: unknown, options: CocoImportOptions): CocoImportPlan {
  const plan: CocoImportPlan = { images: [], categories: [], annotations: [], problems: [] };
  const file = cocoFileSchema.safeParse(json);
  if (!file.success) {
    plan.problems.push({ path: '', severity: 'error', message: `not a COCO instances file: ${describeIssues(file.error)}` });
    return plan;
  }
  const rawAnnotations = file.data.annotations ?? [];
  const images = planImages(file.data.images, annotationCountsByImage(rawAnnotations), options, plan);
  const categories = planCategories(file.data.categories, plan);
  const boxOnly: string[] = [];
  const seenIds = new Map<CocoId, number>();
  rawAnnotations.forEach((raw, index) => {
    const path = `annotations[${index}]`;
    const error = (message: string) => plan.problems.push({ path, severity: 'error', message });
    const parsed = cocoAnnotationSchema.safeParse(raw);
    if (!parsed.success) return error(describeIssues(parsed.error));
    const annotation = parsed.data;
    const firstIndex = seenIds.get(annotation.id);
    if (firstIndex !== undefined) return error(`id ${JSON.stringify(annotation.id)} is also used by annotations[${firstIndex}]; annotation ids must be unique.`);
    seenIds.set(annotation.id, index);
    const image = images.get(annotation.image_id);
    if (image === undefined) return error(`image_id ${JSON.stringify(annotation.image_id)} is not in "images".`);
    const category = categories.get(annotation.category_id);
    if (category === undefined) return error(`category_id ${JSON.stringify(annotation.category_id)} is not in "categories".`);
    // Items excluded by their own error take their annotations with them; that error already says so.
    if (image === 'excluded' || category === 'excluded') return;
    const mask = annotationMask(annotation, image);
    if (typeof mask === 'string') return error(mask);
    if (mask.fromBox) boxOnly.push(path);
    plan.annotations.push({
      cocoId: annotation.id,
      imageFileName: image.fileName,
      categoryName: category.name,
      rle: compressRuns(mask.runs),
      bbox: keptBbox(annotation, mask.runs, image, path, plan),
      area: areaOfRuns(mask.runs),
      iscrowd: annotation.iscrowd === 1 || annotation.iscrowd === true ? 1 : 0,
      maskFromBox: mask.fromBox,
    });
  });
  if (boxOnly.length > 0) {
    plan.problems.push({
      path: 'annotations',
      severity: 'warning',
      message: `${boxOnly.length} annotation(s) have a bbox but no segmentation (${boxOnly.slice(0, 5).join(', ')}${boxOnly.length > 5 ? ', ...' : ''}): their masks are their boxes, marked as box masks.`,
    });
  }
  return plan;
}

function annotationCountsByImage(rawAnnotations: readonly unknown[]): Map<unknown, number> {
  const counts = new Map<unknown, number>();
  for (const raw of rawAnnotations) {
    if (typeof raw === 'object' && raw !== null && 'image_id' in raw) counts.set(raw.image_id, (counts.get(raw.image_id) ?? 0) + 1);
  }
  return counts;
}

function planImages(rawImages: readonly unknown[], annotationCounts: Map<unknown, number>, options: CocoImportOptions, plan: CocoImportPlan): Map<CocoId, PlannedImage | 'excluded'> {
  const byId = new Map<CocoId, PlannedImage | 'excluded'>();
  const indexById = new Map<CocoId, number>();
  const indexByFile = new Map<string, number>();
  rawImages.forEach((raw, index) => {
    const path = `images[${index}]`;
    const parsed = cocoImageSchema.safeParse(raw);
    if (!parsed.success) return plan.problems.push({ path, severity: 'error', message: describeIssues(parsed.error) });
    const { id, file_name: fileName, width, height } = parsed.data;
    const dependents = annotationCounts.get(id) ?? 0;
    const consequence = dependents > 0 ? ` Its ${dependents} annotation(s) are not imported either.` : '';
    const error = (message: string) => {
      plan.problems.push({ path, severity: 'error', message: message + consequence });
      byId.set(id, 'excluded');
    };
    const sameId = indexById.get(id);
    if (sameId !== undefined) {
      error(`id ${JSON.stringify(id)} is also used by images[${sameId}]; image ids must be unique, so annotations cannot tell the two apart.`);
      return;
    }
    indexById.set(id, index);
    const sameFile = indexByFile.get(fileName);
    if (sameFile !== undefined) return error(`file_name "${fileName}" is also listed as images[${sameFile}]; list each image once.`);
    indexByFile.set(fileName, index);
    const onDisk = options.imageLookup(fileName);
    if (onDisk === undefined) {
      return error(`image file "${fileName}" was not found${options.searchedIn ? ` ${options.searchedIn}` : ''}: pass the folder that holds the images (--images DIR).`);
    }
    if ('unusable' in onDisk) return error(`image file "${fileName}" cannot be used: ${onDisk.unusable}.`);
    if (onDisk.width !== width || onDisk.height !== height) {
      const rotated = onDisk.width === height && onDisk.height === width ? ' (width and height swapped: the file may carry an EXIF rotation the COCO file ignored)' : '';
      return error(`"${fileName}" is ${onDisk.width}x${onDisk.height} on disk but ${width}x${height} in the COCO file${rotated}; its masks would not line up.`);
    }
    const image: PlannedImage = { cocoId: id, fileName, width, height };
    byId.set(id, image);
    plan.images.push(image);
  });
  // A later duplicate id excludes the first image with that id too.
  plan.images = plan.images.filter((image) => byId.get(image.cocoId) === image);
  return byId;
}

function planCategories(rawCategories: readonly unknown[], plan: CocoImportPlan): Map<CocoId, PlannedCategory | 'excluded'> {
  const byId = new Map<CocoId, PlannedCategory | 'excluded'>();
  const indexById = new Map<CocoId, number>();
  const indexByName = new Map<string, number>();
  rawCategories.forEach((raw, index) => {
    const path = `categories[${index}]`;
    const parsed = cocoCategorySchema.safeParse(raw);
    if (!parsed.success) return plan.problems.push({ path, severity: 'error', message: describeIssues(parsed.error) });
    const { id, name, supercategory } = parsed.data;
    const error = (message: string) => {
      plan.problems.push({ path, severity: 'error', message: `${message} Its annotations are not imported.` });
      byId.set(id, 'excluded');
    };
    const sameId = indexById.get(id);
    if (sameId !== undefined) return error(`id ${JSON.stringify(id)} is also used by categories[${sameId}]; category ids must be unique.`);
    indexById.set(id, index);
    // A project's category names are unique ignoring case.
    const sameName = indexByName.get(name.toLowerCase());
    if (sameName !== undefined) return error(`name "${name}" is also used by categories[${sameName}]; a project's categories are told apart by name (ignoring case).`);
    indexByName.set(name.toLowerCase(), index);
    const category: PlannedCategory = { cocoId: id, name, supercategory: supercategory ?? null };
    byId.set(id, category);
    plan.categories.push(category);
  });
  plan.categories = plan.categories.filter((category) => byId.get(category.cocoId) === category);
  return byId;
}

function isEmptySegmentation(segmentation: CocoSegmentation | null | undefined): boolean {
  return segmentation === undefined || segmentation === null || (Array.isArray(segmentation) && segmentation.length === 0);
}

function isBbox(bbox: readonly number[] | null | undefined): bbox is Bbox {
  return Array.isArray(bbox) && bbox.length === 4 && bbox.every(Number.isFinite) && bbox[2] >= 0 && bbox[3] >= 0;
}

/** The annotation's mask as runs, or the reason it has none. */
function annotationMask(annotation: CocoAnnotation, image: PlannedImage): { runs: RunLengths; fromBox: boolean } | string {
  const { width, height } = image;
  const { segmentation, bbox } = annotation;
  let runs: RunLengths;
  let fromBox = false;
  if (isEmptySegmentation(segmentation)) {
    if (!isBbox(bbox)) return 'has neither a segmentation nor a bbox [x, y, w, h], so it has no mask.';
    const outside = outsideImage([bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]], image);
    if (outside) return `bbox ${JSON.stringify(bbox)} is outside the image: ${outside}.`;
    runs = rleFromBbox(bbox, height, width);
    fromBox = true;
  } else if (Array.isArray(segmentation)) {
    const reason = polygonProblem(segmentation, image);
    if (reason) return reason;
    runs = polygonsToRuns(segmentation, height, width);
  } else if (segmentation) {
    const [rleHeight, rleWidth] = segmentation.size;
    if (rleHeight !== height || rleWidth !== width) {
      return `mask outside the image: its RLE size is [${rleHeight}, ${rleWidth}] but the image is [${height}, ${width}] ([height, width]).`;
    }
    try {
      runs = canonicalRuns(toRuns(segmentation));
    } catch (error) {
      return error instanceof MaskLoopError ? `segmentation: ${error.message}` : String(error);
    }
  } else {
    return 'has no segmentation.';
  }
  if (areaOfRuns(runs) === 0) return 'its mask is empty: no pixel of the image is inside the segmentation.';
  return { runs, fromBox };
}

function polygonProblem(polygons: readonly CocoPolygon[], image: PlannedImage): string | undefined {
  for (let k = 0; k < polygons.length; k++) {
    const xy = polygons[k];
    if (xy.length % 2 !== 0 || xy.length < 6) {
      return `segmentation[${k}] has ${xy.length} numbers; a polygon is x,y pairs with at least 3 points (6 numbers).`;
    }
    let xMin = Infinity;
    let yMin = Infinity;
    let xMax = -Infinity;
    let yMax = -Infinity;
    for (let i = 0; i < xy.length; i += 2) {
      xMin = Math.min(xMin, xy[i]);
      xMax = Math.max(xMax, xy[i]);
      yMin = Math.min(yMin, xy[i + 1]);
      yMax = Math.max(yMax, xy[i + 1]);
    }
    const outside = outsideImage([xMin, yMin, xMax, yMax], image);
    if (outside) return `mask outside the image: segmentation[${k}] ${outside}.`;
  }
  return undefined;
}

/** Describes how the extent [x0, y0, x1, y1] leaves the image, or '' when it stays within the edge tolerance. */
function outsideImage([x0, y0, x1, y1]: [number, number, number, number], { width, height }: PlannedImage): string {
  const t = EDGE_TOLERANCE_PX;
  if (x0 >= -t && y0 >= -t && x1 <= width + t && y1 <= height + t) return '';
  return `spans x ${x0}..${x1}, y ${y0}..${y1} but the image is ${width}x${height}`;
}

/** The file's bbox clipped to the image (as the mask is), else the mask's own. */
function keptBbox(annotation: CocoAnnotation, runs: RunLengths, { width, height }: PlannedImage, path: string, plan: CocoImportPlan): Bbox {
  const { bbox } = annotation;
  if (isBbox(bbox)) {
    const x0 = Math.min(Math.max(bbox[0], 0), width);
    const y0 = Math.min(Math.max(bbox[1], 0), height);
    const x1 = Math.min(Math.max(bbox[0] + bbox[2], 0), width);
    const y1 = Math.min(Math.max(bbox[1] + bbox[3], 0), height);
    return [x0, y0, x1 - x0, y1 - y0];
  }
  if (bbox !== undefined && bbox !== null) {
    plan.problems.push({ path, severity: 'warning', message: `bbox ${JSON.stringify(bbox)} is not [x, y, w, h]; recomputed from the mask.` });
  }
  return bboxOfRuns(runs);
}
