// Which accepted annotations can teach the decoder, and their ground truth at 256x256 in SAM's padded 1024 frame.
import { decodeMask, rleArea, rleToBbox } from '../coco/rle.js';
import { validatePrompts, type Prompts } from '../sam/sam-model.js';
import { getPreprocessShape, type ImageSize } from '../sam/transforms.js';
import type { AnnotationPrompt, Bbox, RleMask } from '../store/annotation-state.js';
import type { Annotation } from '../store/annotations.js';
import type { Project } from '../store/project.js';

/** Side of the decoder's low-res masks: the padded 1024 frame at a quarter of its resolution. */
export const LOW_RES_SIDE = 256;
const LOW_RES_STRIDE = 4;

/** One accepted annotation as training needs it: plain data, so it crosses to the training worker as is. */
export interface TrainingAnnotation {
  annotationId: number;
  imageId: number;
  imageHash: string;
  /** [height, width] of the original image. */
  originalSize: [number, number];
  /** COCO bbox [x, y, width, height] in original pixels. */
  bbox: Bbox;
  mask: RleMask;
  /** The points and box the annotator gave (original pixels), when there were any. */
  annotatorPrompts?: Prompts;
}

export interface SkippedAnnotation {
  annotationId: number;
  reason: string;
}

/**
 * Every live annotation that can teach the decoder, in id order. Left out (and reported): empty masks, and masks that
 * are still only the box a COCO file gave (a rectangle would teach the decoder to draw rectangles).
 */
export function collectTrainingAnnotations(project: Project): { usable: TrainingAnnotation[]; skipped: SkippedAnnotation[] } {
  const usable: TrainingAnnotation[] = [];
  const skipped: SkippedAnnotation[] = [];
  const imageHashes = new Map<number, string>();
  // Collected first: the connection runs no other statement while an iteration is open.
  for (const annotation of [...project.annotations.iterateLive()]) {
    const problem = unusableBecause(annotation);
    if (problem) {
      skipped.push({ annotationId: annotation.id, reason: problem });
      continue;
    }
    if (!imageHashes.has(annotation.imageId)) imageHashes.set(annotation.imageId, project.images.require(annotation.imageId).contentHash);
    usable.push({
      annotationId: annotation.id,
      imageId: annotation.imageId,
      imageHash: imageHashes.get(annotation.imageId)!,
      originalSize: [annotation.mask.size[0], annotation.mask.size[1]],
      bbox: annotation.bbox,
      mask: annotation.mask,
    });
  }
  for (const item of usable) item.annotatorPrompts = annotatorPrompts(project.annotations.prompts(item.annotationId), item.originalSize);
  return { usable, skipped };
}

function unusableBecause(annotation: Annotation): string | undefined {
  if (annotation.area === 0) return 'its mask is empty';
  if (annotation.maskFromBox && isFilledRectangle(annotation.mask)) return 'its mask is only the box it was imported with; redraw it to use it';
  return undefined;
}

/** True when the mask fills its own bounding rectangle exactly: a box, not an outline. */
function isFilledRectangle(mask: RleMask): boolean {
  const [, , width, height] = rleToBbox(mask);
  return rleArea(mask) === width * height;
}

/**
 * The annotator's prompts as one decoder prompt: every click, and the last box drawn (brush strokes are edits, not
 * prompts). undefined when there were neither clicks nor a box, or when they are not a prompt SAM takes for this
 * image (the mask is still used, with simulated prompts).
 */
export function annotatorPrompts(prompts: readonly AnnotationPrompt[], originalSize: ImageSize): Prompts | undefined {
  const points: { x: number; y: number; label: 0 | 1 }[] = [];
  let box: [number, number, number, number] | undefined;
  for (const prompt of prompts) {
    if (prompt.kind === 'point') points.push({ x: prompt.x, y: prompt.y, label: prompt.label });
    else if (prompt.kind === 'box') box = [prompt.x0, prompt.y0, prompt.x1, prompt.y1];
  }
  const given: Prompts = { points, box };
  if (points.length === 0 && !box) return undefined;
  try {
    validatePrompts(given, originalSize);
  } catch {
    return undefined;
  }
  return given;
}

/**
 * The ground truth as the decoder's low-res output sees it: ResizeLongestSide to 1024 (nearest), zero padding to
 * 1024x1024, then every 4th pixel (cell (i, j) takes 1024-frame pixel (4j, 4i)) — how the reference fixture's
 * gt_mask_256 was made from its 1024-frame mask.
 * in: mask uint8[H*W] (0/1, original pixels); out: uint8[256*256] (0/1, padded 1024 frame)
 */
export function lowResTarget(mask: Uint8Array, originalSize: ImageSize): Uint8Array {
  const [height, width] = originalSize;
  const [inputHeight, inputWidth] = getPreprocessShape(height, width);
  const target = new Uint8Array(LOW_RES_SIDE * LOW_RES_SIDE);
  const columns = new Int32Array(LOW_RES_SIDE).fill(-1);
  for (let j = 0; j < LOW_RES_SIDE && j * LOW_RES_STRIDE < inputWidth; j++) {
    columns[j] = Math.min(width - 1, Math.floor((j * LOW_RES_STRIDE * width) / inputWidth));
  }
  for (let i = 0; i < LOW_RES_SIDE && i * LOW_RES_STRIDE < inputHeight; i++) {
    const row = Math.min(height - 1, Math.floor((i * LOW_RES_STRIDE * height) / inputHeight)) * width;
    for (let j = 0; j < LOW_RES_SIDE && columns[j] >= 0; j++) target[i * LOW_RES_SIDE + j] = mask[row + columns[j]];
  }
  return target;
}

/** An annotation with its decoded ground truth, ready to make prompts and targets from. */
export interface PreparedAnnotation extends TrainingAnnotation {
  /** uint8[256*256], 0/1 in the padded 1024 frame */
  lowResMask: Uint8Array;
  /** [height, width] after ResizeLongestSide, inside the 1024 frame. */
  inputSize: [number, number];
}

export function prepareAnnotation(annotation: TrainingAnnotation): PreparedAnnotation {
  const [height, width] = annotation.originalSize;
  return {
    ...annotation,
    lowResMask: lowResTarget(decodeMask(annotation.mask), annotation.originalSize),
    inputSize: getPreprocessShape(height, width),
  };
}

/** uint8 0/1 -> float32 0/1, as the loss takes targets. */
export function asFloat32(mask: Uint8Array): Float32Array {
  return Float32Array.from(mask);
}
