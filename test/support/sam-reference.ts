// Test access to ../shared/fixtures/sam-reference: the manifest, its float32 arrays, and comparisons.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decoderPrompts } from '../../src-main/sam/sam-model.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sharedDir = path.resolve(repoRoot, '../shared');
export const referenceDir = path.join(sharedDir, 'fixtures/sam-reference');

export type ImageTag = 'exact' | 'resized';
export type CaseName = 'point' | 'box' | 'points_box' | 'two_points';

export interface BinaryArray {
  file: string;
  shape: number[];
}

export interface ReferencePrompt {
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

/** The fixture model's configuration, as manifest.json states it. */
export interface ReferenceConfig {
  encoder_embed_dim: number;
  encoder_depth: number;
  encoder_num_heads: number;
  encoder_global_attn_indexes: number[];
  window_size: number;
  patch_size: number;
  img_size: number;
  out_chans: number;
  mlp_ratio: number;
  prompt_embed_dim: number;
  mask_in_chans: number;
  decoder: {
    transformer_depth: number;
    mlp_dim: number;
    num_heads: number;
    num_multimask_outputs: number;
    iou_head_depth: number;
    iou_head_hidden_dim: number;
  };
}

export interface ReferenceManifest {
  checkpoint: string;
  official_onnx_decoder: string;
  config: ReferenceConfig;
  images: Record<ImageTag, ReferenceImage>;
}

export const manifest = JSON.parse(fs.readFileSync(path.join(referenceDir, 'manifest.json'), 'utf8')) as ReferenceManifest;
export const CASE_NAMES: readonly CaseName[] = ['point', 'box', 'points_box', 'two_points'];
export const checkpointPath = path.join(referenceDir, manifest.checkpoint);

export function referencePath(file: string): string {
  return path.join(referenceDir, file);
}

export function referenceImage(tag: ImageTag): ReferenceImage {
  return manifest.images[tag];
}

/** A raw little-endian float32 fixture file, copied into its own buffer (so always 4-byte aligned). */
export function readReferenceFloat32(file: string): Float32Array {
  const bytes = fs.readFileSync(referencePath(file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'compared arrays differ in length');
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
  return max;
}

export function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

/** Prompts of a manifest case in SamModel's form (original pixels). */
export function casePrompts(referenceCase: ReferenceCase) {
  const { point_coords, point_labels, box } = referenceCase.prompt;
  return {
    points: (point_coords ?? []).map(([x, y], i) => ({ x, y, label: point_labels![i] })),
    box: box ?? undefined,
  };
}

/** A case's prompt as the decoder takes it (1024 frame, box corners labelled 2/3, padding point without a box). */
export function caseDecoderPrompts(image: ReferenceImage, referenceCase: ReferenceCase): { coords: Float32Array; labels: Float32Array } {
  return decoderPrompts(casePrompts(referenceCase), image.original_size);
}
