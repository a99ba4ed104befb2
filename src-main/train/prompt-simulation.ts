// Prompts as an annotator gives them, simulated from a ground-truth mask: jittered boxes, clicks on the mask, and
// corrective clicks on the error region of the current prediction (SAM's interactive training).
import { decoderPrompts, type Prompts } from '../sam/sam-model.js';
import type { ImageSize } from '../sam/transforms.js';
import type { Bbox } from '../store/annotation-state.js';
import { LOW_RES_SIDE, type PreparedAnnotation } from './samples.js';
import type { SeededRandom } from './seeded-random.js';

/** What one decoder pass is asked: points and box corners in the 1024 frame, as SamPredictor feeds the decoder. */
export interface DecoderPrompt {
  /** float32[N*2]: (x, y) in the 1024 frame */
  pointCoords: Float32Array;
  /** float32[N]: -1 pad, 0 negative, 1 positive, 2/3 box corners */
  pointLabels: Float32Array;
  /** SAM's three candidates (a lone click is ambiguous); training and evaluation use the best of them. */
  multimask: boolean;
}

/** A click in the 1024 frame. */
export interface FramePoint {
  x: number;
  y: number;
  label: 0 | 1;
}

/** The box annotators draw is rarely tight: each side moves by up to this fraction of the box's width or height. */
export const BOX_JITTER = 0.1;
const LOW_RES_STRIDE = 4;
const PAD_LABEL = -1;
const BOX_LABELS = [2, 3];

export type SimulatedPromptKind = 'box' | 'point' | 'annotator';

/** How often each kind of first prompt is drawn (weights, normalised over the kinds available for an annotation). */
export type PromptMix = Record<SimulatedPromptKind, number>;

/** Boxes most (stamps are boxed), single clicks and the annotator's own prompts the rest. */
export const DEFAULT_PROMPT_MIX: PromptMix = { box: 0.5, point: 0.25, annotator: 0.25 };

/** The bbox with each side moved by up to `maxFraction` of its extent, clipped to the image. out: [x0,y0,x1,y1] original pixels */
export function jitteredBox(bbox: Bbox, originalSize: ImageSize, random: SeededRandom, maxFraction = BOX_JITTER): [number, number, number, number] {
  const [x, y, width, height] = bbox;
  const [imageHeight, imageWidth] = originalSize;
  const shift = (extent: number): number => random.uniform(-maxFraction, maxFraction) * extent;
  const x0 = clamp(x + shift(width), 0, imageWidth - 1);
  const y0 = clamp(y + shift(height), 0, imageHeight - 1);
  const x1 = clamp(x + width + shift(width), x0 + 1, imageWidth);
  const y1 = clamp(y + height + shift(height), y0 + 1, imageHeight);
  return [x0, y0, x1, y1];
}

/** Prompts in original pixels -> the decoder's prompt in the 1024 frame. */
export function framePrompt(prompts: Prompts, originalSize: ImageSize, multimask: boolean): DecoderPrompt {
  const { coords, labels } = decoderPrompts(prompts, originalSize);
  return { pointCoords: coords, pointLabels: labels, multimask };
}

/** The 1024-frame centre region of low-res cell (row, column), jittered inside the cell when `random` is given. */
function cellPoint(row: number, column: number, random?: SeededRandom): [number, number] {
  const offset = (): number => (random ? random.uniform(0.5, LOW_RES_STRIDE - 0.5) : LOW_RES_STRIDE / 2);
  return [column * LOW_RES_STRIDE + offset(), row * LOW_RES_STRIDE + offset()];
}

/** A click on a uniformly drawn pixel of the mask, as a positive point (multimask: one click is ambiguous). */
export function randomPointPrompt(annotation: PreparedAnnotation, random: SeededRandom): DecoderPrompt {
  const cells = maskCells(annotation.lowResMask, (value) => value === 1);
  const cell = random.pick(cells);
  const [x, y] = cellPoint(Math.floor(cell / LOW_RES_SIDE), cell % LOW_RES_SIDE, random);
  return { pointCoords: Float32Array.of(x, y, 0, 0), pointLabels: Float32Array.of(1, PAD_LABEL), multimask: true };
}

function maskCells(mask: Uint8Array, keep: (value: number) => boolean): number[] {
  const cells: number[] = [];
  for (let i = 0; i < mask.length; i++) if (keep(mask[i])) cells.push(i);
  return cells;
}

/** The first prompt of a training sample, drawn by `mix` among the kinds this annotation has. */
export function simulatePrompt(annotation: PreparedAnnotation, random: SeededRandom, mix: PromptMix = DEFAULT_PROMPT_MIX): DecoderPrompt {
  const kinds = (Object.keys(mix) as SimulatedPromptKind[]).filter((kind) => mix[kind] > 0 && (kind !== 'annotator' || annotation.annotatorPrompts));
  const total = kinds.reduce((sum, kind) => sum + mix[kind], 0);
  let draw = random.next() * total;
  const kind = kinds.find((candidate) => (draw -= mix[candidate]) < 0) ?? kinds[kinds.length - 1] ?? 'box';
  if (kind === 'point') return randomPointPrompt(annotation, random);
  if (kind === 'annotator') return framePrompt(annotation.annotatorPrompts!, annotation.originalSize, isLonePoint(annotation.annotatorPrompts!));
  return framePrompt({ points: [], box: jitteredBox(annotation.bbox, annotation.originalSize, random) }, annotation.originalSize, false);
}

function isLonePoint(prompts: Prompts): boolean {
  return !prompts.box && prompts.points.length === 1;
}

/**
 * A corrective click drawn uniformly from where the prediction is wrong, inside the image (not the padding): a
 * positive click on a missed pixel, a negative one on a wrongly included pixel. undefined when nothing is wrong.
 * in: lowResLogits float32[256*256], annotation.lowResMask uint8[256*256]; out: a point in the 1024 frame
 */
export function correctionPoint(lowResLogits: Float32Array, annotation: PreparedAnnotation, random: SeededRandom): FramePoint | undefined {
  const rows = Math.ceil(annotation.inputSize[0] / LOW_RES_STRIDE);
  const columns = Math.ceil(annotation.inputSize[1] / LOW_RES_STRIDE);
  const errors: number[] = [];
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const cell = row * LOW_RES_SIDE + column;
      if (lowResLogits[cell] > 0 !== (annotation.lowResMask[cell] === 1)) errors.push(cell);
    }
  }
  if (errors.length === 0) return undefined;
  const cell = random.pick(errors);
  const [x, y] = cellPoint(Math.floor(cell / LOW_RES_SIDE), cell % LOW_RES_SIDE, random);
  return { x, y, label: annotation.lowResMask[cell] === 1 ? 1 : 0 };
}

/**
 * The prompt with one more click, where SamPredictor puts clicks: after the earlier clicks, before the box corners
 * or the padding point. A corrected prompt asks for one mask, as the app does once a mask is being refined.
 */
export function withPoint(prompt: DecoderPrompt, point: FramePoint): DecoderPrompt {
  const labels = [...prompt.pointLabels];
  const coords = [...prompt.pointCoords];
  const clicks = labels.findIndex((label) => label === PAD_LABEL || BOX_LABELS.includes(label));
  const at = clicks === -1 ? labels.length : clicks;
  labels.splice(at, 0, point.label);
  coords.splice(2 * at, 0, point.x, point.y);
  return { pointCoords: Float32Array.from(coords), pointLabels: Float32Array.from(labels), multimask: false };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
