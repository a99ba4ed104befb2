// Test access to ../shared/fixtures/sam-reference: the manifest, its float32 arrays, and comparisons.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sharedDir = path.resolve(repoRoot, '../shared');
export const referenceDir = path.join(sharedDir, 'fixtures/sam-reference');

export type ImageTag = 'exact' | 'resized';
export type CaseName = 'point' | 'box' | 'points_box' | 'two_points';

export interface BinaryArray {
  file: string;
  shape: number[];
}

export interface ReferenceCase {
  prompt: {
    point_coords: [number, number][] | null;
    point_labels: number[] | null;
    box?: [number, number, number, number] | null;
    multimask_output: boolean;
  };
  iou_predictions: number[];
  low_res_logits: BinaryArray;
  masks_logits?: BinaryArray;
  mask_positive_pixels?: number[];
  refine?: ReferenceCase;
}

export interface ReferenceImage {
  file: string;
  original_size: [number, number];
  input_size: [number, number];
  resized_by_reference: string;
  embedding: BinaryArray;
  cases: Record<CaseName, ReferenceCase>;
  gt_mask_256: BinaryArray;
  grad: {
    loss_value: number;
    transformed_box: [number, number, number, number];
    grad_l2_norm: Record<string, number>;
    grad_tensors: Record<string, BinaryArray>;
  };
}

export interface ReferenceManifest {
  checkpoint: string;
  official_onnx_decoder: string;
  config: Record<string, unknown>;
  images: Record<ImageTag, ReferenceImage>;
}

export const manifest = JSON.parse(fs.readFileSync(path.join(referenceDir, 'manifest.json'), 'utf8')) as ReferenceManifest;
export const CASE_NAMES: readonly CaseName[] = ['point', 'box', 'points_box', 'two_points'];
export const checkpointPath = path.join(referenceDir, manifest.checkpoint);

export function referencePath(file: string): string {
  return path.join(referenceDir, file);
}

export function readReferenceFloat32(file: string): Float32Array {
  const bytes = fs.readFileSync(referencePath(file));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'compared arrays differ in length');
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
  return max;
}

/** Prompts of a manifest case in SamModel's form (original pixels). */
export function casePrompts(referenceCase: ReferenceCase) {
  const { point_coords, point_labels, box } = referenceCase.prompt;
  return {
    points: (point_coords ?? []).map(([x, y], i) => ({ x, y, label: point_labels![i] as 0 | 1 })),
    box: box ?? undefined,
  };
}
