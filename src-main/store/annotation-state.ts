// The value types of an annotation (COCO RLE mask, bbox, prompts) and the snapshot of one that history stores.
import { z } from 'zod';

/**
 * A mask as COCO compressed RLE: `counts` is pycocotools' string form of the column-major runs,
 * `size` is [height, width] of the image it covers. The store keeps it opaque; src-main/coco encodes it.
 */
export interface RleMask {
  counts: string;
  size: [number, number];
}

/** COCO bbox in original image pixels: [x, y, width, height], top-left origin. */
export type Bbox = [x: number, y: number, width: number, height: number];

export const ANNOTATION_SOURCES = ['sam', 'manual', 'imported'] as const;
export type AnnotationSource = (typeof ANNOTATION_SOURCES)[number];

const rleMaskSchema = z.object({
  counts: z.string(),
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
});

const bboxSchema = z.tuple([z.number(), z.number(), z.number().nonnegative(), z.number().nonnegative()]);

/** One annotation as history records it before and after a change (prompts are append-only, so not included). */
export const annotationStateSchema = z.object({
  imageId: z.number().int(),
  categoryId: z.number().int(),
  mask: rleMaskSchema,
  bbox: bboxSchema,
  area: z.number().int().nonnegative(),
  iouPrediction: z.number().nullable(),
  source: z.enum(ANNOTATION_SOURCES),
  deleted: z.boolean(),
});

export type AnnotationState = z.output<typeof annotationStateSchema>;

/** Prompt coordinates are in original image pixels (x right, y down), like the bbox. */
export const annotationPromptSchema = z.discriminatedUnion('kind', [
  /** label 1: foreground click, 0: background click. */
  z.object({ kind: z.literal('point'), x: z.number(), y: z.number(), label: z.union([z.literal(0), z.literal(1)]) }),
  z.object({ kind: z.literal('box'), x0: z.number(), y0: z.number(), x1: z.number(), y1: z.number() }),
  /** A brush or eraser stroke: the polyline its centre followed and its radius in pixels. */
  z.object({
    kind: z.literal('brush'),
    mode: z.enum(['add', 'erase']),
    radius: z.number().positive(),
    points: z.array(z.tuple([z.number(), z.number()])).min(1),
  }),
]);

export type AnnotationPrompt = z.output<typeof annotationPromptSchema>;
