// Annotation rows: masks as COCO RLE with bbox and area; each write stores its prompts and history in one transaction.
import { MaskLoopError } from '../errors.js';
import {
  annotationPromptSchema,
  type AnnotationPrompt,
  type AnnotationSource,
  type AnnotationState,
  type Bbox,
  type RleMask,
} from './annotation-state.js';
import type { CategoriesRepository } from './categories.js';
import type { SqliteDatabase } from './database.js';
import type { HistoryRepository } from './history.js';
import type { ImageRecord, ImagesRepository } from './images.js';
import { parseJsonColumn } from './json-columns.js';

export interface Annotation {
  id: number;
  imageId: number;
  categoryId: number;
  mask: RleMask;
  bbox: Bbox;
  /** Mask pixels. */
  area: number;
  /** SAM's predicted IoU for the mask it proposed; null for manual and imported masks. */
  iouPrediction: number | null;
  source: AnnotationSource;
  /** The mask is only the bbox as a rectangle (imported without a segmentation); fine-tuning leaves it out. */
  maskFromBox: boolean;
  createdBy: string;
  createdAt: number;
  updatedBy: string;
  updatedAt: number;
  /** Deleted annotations are kept only so that undo can bring them back. */
  deleted: boolean;
}

export interface NewAnnotation {
  imageId: number;
  categoryId: number;
  /** size must equal the image's [height, width]. */
  mask: RleMask;
  bbox: Bbox;
  area: number;
  iouPrediction?: number | null;
  source: AnnotationSource;
  /** The clicks, boxes and strokes that produced the mask, in order. */
  prompts?: readonly AnnotationPrompt[];
  /** The mask is only the bbox as a rectangle (a COCO import without segmentation); default false. */
  maskFromBox?: boolean;
}

/** A new mask always comes with its bbox and area, so the three never disagree. */
export interface MaskChange {
  mask: RleMask;
  bbox: Bbox;
  area: number;
  iouPrediction?: number | null;
}

export interface AnnotationPatch {
  categoryId?: number;
  shape?: MaskChange;
  source?: AnnotationSource;
  /** Further prompts or strokes that made this edit; appended to the annotation's prompts. */
  prompts?: readonly AnnotationPrompt[];
}

export interface WriteOptions {
  /** Who made the change; defaults to the project's user. */
  by?: string;
  /** false for bulk imports, which are not user corrections and are not undone one by one. */
  recordHistory?: boolean;
}

interface AnnotationRow {
  id: number;
  image_id: number;
  category_id: number;
  mask_counts: string;
  mask_height: number;
  mask_width: number;
  bbox_x: number;
  bbox_y: number;
  bbox_w: number;
  bbox_h: number;
  area: number;
  iou_prediction: number | null;
  source: AnnotationSource;
  mask_from_box: number;
  created_by: string;
  created_at: number;
  updated_by: string;
  updated_at: number;
  deleted: number;
}

type StateParameters = [number, number, string, number, number, number, number, number, number, number, number | null, string, number];

const ANNOTATION_COLUMNS =
  'id, image_id, category_id, mask_counts, mask_height, mask_width, bbox_x, bbox_y, bbox_w, bbox_h, area, iou_prediction, source, mask_from_box, created_by, created_at, updated_by, updated_at, deleted';
/** Half a pixel of slack for boxes computed in floating point from polygons. */
const BBOX_TOLERANCE = 0.5;

export class AnnotationsRepository {
  private readonly statements;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly images: ImagesRepository,
    private readonly categories: CategoriesRepository,
    private readonly history: HistoryRepository,
    private readonly now: () => number,
    private readonly defaultActor: string,
  ) {
    this.statements = {
      insert: db.prepare<[...StateParameters, number, string, number, string, number]>(
        `INSERT INTO annotations (image_id, category_id, mask_counts, mask_height, mask_width, bbox_x, bbox_y, bbox_w, bbox_h,
           area, iou_prediction, source, deleted, mask_from_box, created_by, created_at, updated_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      writeState: db.prepare<[...StateParameters, string, number, number]>(
        `UPDATE annotations SET image_id = ?, category_id = ?, mask_counts = ?, mask_height = ?, mask_width = ?,
           bbox_x = ?, bbox_y = ?, bbox_w = ?, bbox_h = ?, area = ?, iou_prediction = ?, source = ?, deleted = ?,
           updated_by = ?, updated_at = ? WHERE id = ?`,
      ),
      byId: db.prepare<[number], AnnotationRow>(`SELECT ${ANNOTATION_COLUMNS} FROM annotations WHERE id = ?`),
      liveByImage: db.prepare<[number], AnnotationRow>(
        `SELECT ${ANNOTATION_COLUMNS} FROM annotations WHERE image_id = ? AND deleted = 0 ORDER BY id`,
      ),
      allLive: db.prepare<[], AnnotationRow>(`SELECT ${ANNOTATION_COLUMNS} FROM annotations WHERE deleted = 0 ORDER BY id`),
      countLive: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM annotations WHERE deleted = 0'),
      insertPrompt: db.prepare<[number, string, string, number]>(
        'INSERT INTO annotation_prompts (annotation_id, kind, payload, created_at) VALUES (?, ?, ?, ?)',
      ),
      prompts: db.prepare<[number], { id: number; payload: string }>(
        'SELECT id, payload FROM annotation_prompts WHERE annotation_id = ? ORDER BY id',
      ),
    };
  }

  /** Stores a new annotation, its prompts and (unless turned off) its history row, all or nothing. */
  create(annotation: NewAnnotation, options: WriteOptions = {}): Annotation {
    const by = options.by ?? this.defaultActor;
    const state: AnnotationState = {
      imageId: annotation.imageId,
      categoryId: annotation.categoryId,
      mask: annotation.mask,
      bbox: annotation.bbox,
      area: annotation.area,
      iouPrediction: annotation.iouPrediction ?? null,
      source: annotation.source,
      deleted: false,
    };
    return this.db.transaction(() => {
      this.checkState(state);
      const at = this.now();
      const maskFromBox = annotation.maskFromBox === true ? 1 : 0;
      const id = Number(this.statements.insert.run(...stateParameters(state), maskFromBox, by, at, by, at).lastInsertRowid);
      this.appendPrompts(id, annotation.prompts ?? [], at);
      if (options.recordHistory ?? true) {
        this.history.recordChange({ op: 'create', entity: 'annotation', entityId: id, before: null, after: state, actor: by });
      }
      this.images.recomputeStatus(state.imageId);
      return this.require(id);
    })();
  }

  /** Changes category, mask or source of a live annotation; prompts in the patch are appended. */
  update(id: number, patch: AnnotationPatch, options: WriteOptions = {}): Annotation {
    return this.db.transaction(() => {
      const before = toState(this.requireLive(id));
      const after: AnnotationState = {
        ...before,
        categoryId: patch.categoryId ?? before.categoryId,
        source: patch.source ?? before.source,
        ...(patch.shape && {
          mask: patch.shape.mask,
          bbox: patch.shape.bbox,
          area: patch.shape.area,
          iouPrediction: patch.shape.iouPrediction ?? null,
        }),
      };
      this.checkState(after);
      this.write(id, 'update', before, after, options);
      this.appendPrompts(id, patch.prompts ?? [], this.now());
      return this.require(id);
    })();
  }

  /** Soft delete: the row stays for undo, and disappears from every list. */
  delete(id: number, options: WriteOptions = {}): void {
    this.db.transaction(() => {
      const before = toState(this.requireLive(id));
      this.write(id, 'delete', before, { ...before, deleted: true }, options);
    })();
  }

  get(id: number): Annotation | undefined {
    const row = this.statements.byId.get(id);
    return row && toAnnotation(row);
  }

  require(id: number): Annotation {
    const annotation = this.get(id);
    if (!annotation) throw new MaskLoopError('NOT_FOUND', `Annotation ${id} is not in this project.`);
    return annotation;
  }

  listByImage(imageId: number): Annotation[] {
    return this.statements.liveByImage.all(imageId).map(toAnnotation);
  }

  /** Every live annotation in id order, one row at a time (for export); do not write to the project meanwhile. */
  *iterateLive(): IterableIterator<Annotation> {
    for (const row of this.statements.allLive.iterate()) yield toAnnotation(row);
  }

  countLive(): number {
    return this.statements.countLive.get()!.n;
  }

  prompts(annotationId: number): AnnotationPrompt[] {
    return this.statements.prompts
      .all(annotationId)
      .map((row) => parseJsonColumn(annotationPromptSchema, row.payload, `prompt ${row.id} of annotation ${annotationId}`));
  }

  /** The history applier: writes a recorded state back (null: the annotation did not exist, so it is deleted). */
  applyState(id: number, state: AnnotationState | null, actor: string): void {
    const current = this.get(id);
    if (!current) {
      throw new MaskLoopError('PROJECT', `Annotation ${id} was removed with its category, so this change cannot be undone or redone.`);
    }
    const target = state ?? { ...toState(current), deleted: true };
    if (!target.deleted) this.checkState(target);
    this.statements.writeState.run(...stateParameters(target), actor, this.now(), id);
    this.images.recomputeStatus(target.imageId);
    if (target.imageId !== current.imageId) this.images.recomputeStatus(current.imageId);
  }

  private write(id: number, op: 'update' | 'delete', before: AnnotationState, after: AnnotationState, options: WriteOptions): void {
    const by = options.by ?? this.defaultActor;
    this.statements.writeState.run(...stateParameters(after), by, this.now(), id);
    if (options.recordHistory ?? true) {
      this.history.recordChange({ op, entity: 'annotation', entityId: id, before, after, actor: by });
    }
    this.images.recomputeStatus(after.imageId);
  }

  private requireLive(id: number): Annotation {
    const annotation = this.require(id);
    if (annotation.deleted) throw new MaskLoopError('NOT_FOUND', `Annotation ${id} was deleted; undo the deletion to change it.`);
    return annotation;
  }

  private appendPrompts(annotationId: number, prompts: readonly AnnotationPrompt[], at: number): void {
    for (const prompt of prompts) {
      const parsed = annotationPromptSchema.safeParse(prompt);
      if (!parsed.success) throw new MaskLoopError('INVALID_PROMPT', `A prompt of annotation ${annotationId} is not valid: ${parsed.error.message}`);
      this.statements.insertPrompt.run(annotationId, parsed.data.kind, JSON.stringify(parsed.data), at);
    }
  }

  /** Masks must cover their image exactly and boxes lie inside it, or exports would be wrong. */
  private checkState(state: AnnotationState): void {
    const image = this.images.require(state.imageId);
    this.categories.require(state.categoryId);
    const [height, width] = state.mask.size;
    if (height !== image.height || width !== image.width) {
      throw new MaskLoopError(
        'INVALID_ARGUMENT',
        `The mask is ${width}x${height} but image ${image.id} (${image.fileName}) is ${image.width}x${image.height}; a mask must cover its whole image.`,
      );
    }
    if (state.mask.counts === '') throw new MaskLoopError('INVALID_ARGUMENT', 'The mask has empty RLE counts; encode it with src-main/coco/rle.');
    checkBbox(state.bbox, image);
    if (!Number.isInteger(state.area) || state.area < 0 || state.area > image.width * image.height) {
      throw new MaskLoopError('INVALID_ARGUMENT', `Annotation area ${state.area} is not a pixel count within the ${image.width}x${image.height} image.`);
    }
    if (state.iouPrediction !== null && !Number.isFinite(state.iouPrediction)) {
      throw new MaskLoopError('INVALID_ARGUMENT', `IoU prediction ${state.iouPrediction} is not a finite number.`);
    }
  }
}

function checkBbox(bbox: Bbox, image: ImageRecord): void {
  const [x, y, w, h] = bbox;
  const inside =
    bbox.every(Number.isFinite) &&
    w >= 0 &&
    h >= 0 &&
    x >= -BBOX_TOLERANCE &&
    y >= -BBOX_TOLERANCE &&
    x + w <= image.width + BBOX_TOLERANCE &&
    y + h <= image.height + BBOX_TOLERANCE;
  if (!inside) {
    throw new MaskLoopError('INVALID_ARGUMENT', `Bbox [${bbox.join(', ')}] does not lie inside image ${image.id} (${image.width}x${image.height}).`);
  }
}

function stateParameters(state: AnnotationState): StateParameters {
  const [x, y, w, h] = state.bbox;
  const [height, width] = state.mask.size;
  return [state.imageId, state.categoryId, state.mask.counts, height, width, x, y, w, h, state.area, state.iouPrediction, state.source, state.deleted ? 1 : 0];
}

function toState(annotation: Annotation): AnnotationState {
  const { imageId, categoryId, mask, bbox, area, iouPrediction, source, deleted } = annotation;
  return { imageId, categoryId, mask, bbox, area, iouPrediction, source, deleted };
}

function toAnnotation(row: AnnotationRow): Annotation {
  return {
    id: row.id,
    imageId: row.image_id,
    categoryId: row.category_id,
    mask: { counts: row.mask_counts, size: [row.mask_height, row.mask_width] },
    bbox: [row.bbox_x, row.bbox_y, row.bbox_w, row.bbox_h],
    area: row.area,
    iouPrediction: row.iou_prediction,
    source: row.source,
    maskFromBox: row.mask_from_box === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
    deleted: row.deleted === 1,
  };
}
