// The PyTorch SAM reference fixtures (manifest, embeddings, logits, gradients) as the training tests read them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decoderPrompts } from '../../src-main/sam/sam-model.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const referenceDir = path.join(path.resolve(repoRoot, '../shared'), 'fixtures/sam-reference');
export const referenceCheckpoint = path.join(referenceDir, 'tiny_sam.pth');

interface ArrayFile {
  file: string;
  shape: number[];
}

interface ReferencePrompt {
  point_coords: [number, number][] | null;
  point_labels: (0 | 1)[] | null;
  box: [number, number, number, number] | null;
  multimask_output: boolean;
  /** For a refinement round: which of the first round's low-res logits were fed back, as "low_res_logits[i]". */
  mask_input?: string;
}

export interface ReferenceCase {
  prompt: ReferencePrompt;
  iou_predictions: number[];
  low_res_logits: ArrayFile;
  refine?: ReferenceCase;
}

export interface ReferenceImage {
  original_size: [number, number];
  embedding: ArrayFile;
  cases: Record<'point' | 'box' | 'points_box' | 'two_points', ReferenceCase>;
  gt_mask_256: ArrayFile;
  grad: {
    loss_value: number;
    transformed_box: [number, number, number, number];
    grad_l2_norm: Record<string, number>;
    grad_tensors: Record<string, ArrayFile>;
  };
}

export type ImageTag = 'exact' | 'resized';

export function referenceImage(tag: ImageTag): ReferenceImage {
  const manifest = JSON.parse(fs.readFileSync(path.join(referenceDir, 'manifest.json'), 'utf8')) as { images: Record<ImageTag, ReferenceImage> };
  return manifest.images[tag];
}

/** A raw little-endian float32 fixture file. */
export function readFloat32(file: string): Float32Array {
  const bytes = fs.readFileSync(path.join(referenceDir, file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** A case's prompt as the decoder takes it (1024 frame, box corners labelled 2/3, padding point without a box). */
export function casePrompt(image: ReferenceImage, prompt: ReferencePrompt): { coords: Float32Array; labels: Float32Array } {
  const points = (prompt.point_coords ?? []).map(([x, y], i) => ({ x, y, label: prompt.point_labels![i] }));
  return decoderPrompts({ points, box: prompt.box ?? undefined }, image.original_size);
}

/** Largest |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

export function maxAbs(a: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}
