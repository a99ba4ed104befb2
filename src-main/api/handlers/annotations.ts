// annotations.*: accepted masks per image (bbox and area derived from the mask here, so they always agree).
import { rleArea, rleToBbox } from '../../coco/rle.js';
import type { Annotation as StoredAnnotation } from '../../store/annotations.js';
import type { Annotation, MaskLoopApi, Rle } from '../contract.js';
import type { ServiceContext } from '../service-context.js';

function toAnnotation(annotation: StoredAnnotation): Annotation {
  return {
    id: annotation.id,
    imageId: annotation.imageId,
    categoryId: annotation.categoryId,
    mask: annotation.mask,
    bbox: annotation.bbox,
    area: annotation.area,
    iouPrediction: annotation.iouPrediction,
    source: annotation.source,
    createdAt: new Date(annotation.createdAt).toISOString(),
  };
}

/** The mask with its COCO bbox and area (the RLE is decoded here, so a malformed one fails before storing). */
function shapeOf(mask: Rle) {
  return { mask, bbox: rleToBbox(mask), area: rleArea(mask) };
}

export function annotationsHandlers(context: ServiceContext): MaskLoopApi['annotations'] {
  return {
    async list({ imageId }) {
      const project = context.requireProject();
      project.images.require(imageId);
      return project.annotations.listByImage(imageId).map(toAnnotation);
    },
    async create({ imageId, categoryId, mask, source, iouPrediction, prompts }) {
      const created = context.requireProject().annotations.create({ imageId, categoryId, ...shapeOf(mask), source, iouPrediction, prompts });
      return toAnnotation(created);
    },
    async update({ annotationId, mask, categoryId, source, prompts }) {
      const shape = mask && shapeOf(mask);
      return toAnnotation(context.requireProject().annotations.update(annotationId, { categoryId, shape, source, prompts }));
    },
    async delete({ annotationId }) {
      context.requireProject().annotations.delete(annotationId);
      return null;
    },
  };
}
