// The COCO instances format: zod schemas for reading one item at a time, and the types of what MaskLoop writes.
import { z } from 'zod';
import type { Bbox, CocoRle } from './rle.js';
import type { CocoPolygon } from './polygons.js';

/** COCO ids are integers; some tools write strings, which pycocotools also accepts as dictionary keys. */
export const cocoIdSchema = z.union([z.number().int(), z.string().min(1)], {
  error: (issue) => (issue.input === undefined ? 'missing (an integer id is required)' : `${JSON.stringify(issue.input)} is not an integer id`),
});
export type CocoId = z.infer<typeof cocoIdSchema>;

/** The top level, with each list left unread so that one bad item is reported on its own. */
export const cocoFileSchema = z.object({
  info: z.unknown().optional(),
  licenses: z.array(z.unknown()).optional(),
  images: z.array(z.unknown()),
  categories: z.array(z.unknown()),
  annotations: z.array(z.unknown()).optional(),
});

export const cocoImageSchema = z.object({
  id: cocoIdSchema,
  file_name: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type CocoImage = z.infer<typeof cocoImageSchema>;

export const cocoCategorySchema = z.object({
  id: cocoIdSchema,
  name: z.string().trim().min(1),
  supercategory: z.string().nullable().optional(),
});
export type CocoCategory = z.infer<typeof cocoCategorySchema>;

/** [height, width] */
const rleSizeSchema = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

export const compressedRleSchema = z.object({ size: rleSizeSchema, counts: z.string() });
export const uncompressedRleSchema = z.object({ size: rleSizeSchema, counts: z.array(z.number().int().nonnegative()) });
/** Each polygon is [x1, y1, x2, y2, ...]; an annotation's polygons are unioned. */
export const polygonsSchema = z.array(z.array(z.number()));

export const segmentationSchema = z.union([polygonsSchema, compressedRleSchema, uncompressedRleSchema], {
  error: 'must be polygons [[x1, y1, x2, y2, ...], ...] or an RLE {"size": [height, width], "counts": ...}',
});
export type CocoSegmentation = z.infer<typeof segmentationSchema>;

export const cocoAnnotationSchema = z.object({
  id: cocoIdSchema,
  image_id: cocoIdSchema,
  category_id: cocoIdSchema,
  // Absent, null or [] means a detection-only annotation: just a bbox.
  segmentation: segmentationSchema.nullable().optional(),
  // Read loosely: a malformed bbox or area is recomputed from the mask rather than refusing the annotation.
  bbox: z.array(z.number()).nullable().optional(),
  area: z.number().nullable().optional(),
  iscrowd: z.union([z.literal(0), z.literal(1), z.boolean()]).optional(),
});
export type CocoAnnotation = z.infer<typeof cocoAnnotationSchema>;

/** One line per zod issue: "file_name: Invalid input: expected string, received undefined". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
      return where ? `${where.replace(/^\./, '')}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** What MaskLoop writes: a COCO instances file that pycocotools' COCO() and loadRes() read. */
export interface CocoFile {
  info: { description: string; version: string; year: number; date_created: string; contributor: string; url: string };
  licenses: { id: number; name: string; url: string }[];
  images: { id: number; file_name: string; width: number; height: number }[];
  categories: { id: number; name: string; supercategory: string }[];
  annotations: {
    id: number;
    image_id: number;
    category_id: number;
    segmentation: CocoRle | CocoPolygon[];
    area: number;
    bbox: Bbox;
    iscrowd: 0 | 1;
  }[];
}
