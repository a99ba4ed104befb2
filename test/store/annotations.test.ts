import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnnotationPrompt } from '../../src-main/store/annotation-state.js';
import { annotationOn, insertImage, tempProject } from './temp-project.js';

const prompts: AnnotationPrompt[] = [
  { kind: 'box', x0: 2, y0: 3, x1: 12, y1: 15 },
  { kind: 'point', x: 5, y: 6, label: 1 },
];

test('creating an annotation stores mask, prompts and a history row, and marks the image labelled', () => {
  const clock = { t: 5000 };
  const { project } = tempProject({ now: () => clock.t, advance: () => {} });
  const category = project.categories.create({ name: 'stamp' });
  const image = insertImage(project, 1);
  const created = project.annotations.create({ ...annotationOn(image, category.id, 'abc123'), prompts });
  assert.deepEqual(project.annotations.require(created.id), {
    id: created.id,
    imageId: image.id,
    categoryId: category.id,
    mask: { counts: 'abc123', size: [48, 64] },
    bbox: [2, 3, 10, 12],
    area: 100,
    iouPrediction: 0.91,
    source: 'sam',
    maskFromBox: false,
    createdBy: 'tester',
    createdAt: 5000,
    updatedBy: 'tester',
    updatedAt: 5000,
    deleted: false,
  });
  assert.deepEqual(project.annotations.prompts(created.id), prompts);
  assert.deepEqual(
    project.history.list().map((e) => [e.op, e.entityId, e.before, e.after?.mask.counts]),
    [['create', created.id, null, 'abc123']],
  );
  assert.equal(project.images.require(image.id).status, 'labelled');
});

test('a mask whose size is not the image size is refused and nothing is written', () => {
  const { project } = tempProject();
  const category = project.categories.create({ name: 'stamp' });
  const image = insertImage(project, 1);
  const wrongSize = { ...annotationOn(image, category.id), mask: { counts: 'x', size: [64, 48] as [number, number] }, prompts };
  assert.throws(() => project.annotations.create(wrongSize), { code: 'INVALID_ARGUMENT', message: /mask is 48x64 but image .* is 64x48/ });
  assert.equal(project.annotations.countLive(), 0);
  assert.equal(project.history.latestId(), 0);
  assert.equal(project.images.require(image.id).status, 'new');
});

test('boxes outside the image, bad areas, unknown categories and bad prompts are refused', () => {
  const { project } = tempProject();
  const category = project.categories.create({ name: 'stamp' });
  const image = insertImage(project, 1);
  const valid = annotationOn(image, category.id);
  assert.throws(() => project.annotations.create({ ...valid, bbox: [60, 0, 10, 5] }), { code: 'INVALID_ARGUMENT', message: /does not lie inside/ });
  assert.throws(() => project.annotations.create({ ...valid, area: 64 * 48 + 1 }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => project.annotations.create({ ...valid, categoryId: 999 }), { code: 'NOT_FOUND' });
  assert.throws(() => project.annotations.create({ ...valid, imageId: 999 }), { code: 'NOT_FOUND' });
  const badPoint = { kind: 'point', x: 1, y: 1, label: 7 } as unknown as AnnotationPrompt;
  assert.throws(() => project.annotations.create({ ...valid, prompts: [badPoint] }), { code: 'INVALID_PROMPT' });
  assert.equal(project.annotations.countLive(), 0);
});

test('an update changes the mask with its box and area and appends the correction strokes', () => {
  const { project } = tempProject();
  const stamp = project.categories.create({ name: 'stamp' });
  const seal = project.categories.create({ name: 'seal' });
  const image = insertImage(project, 1);
  const created = project.annotations.create({ ...annotationOn(image, stamp.id, 'before'), prompts: prompts.slice(0, 1) });
  const stroke: AnnotationPrompt = { kind: 'brush', mode: 'erase', radius: 4, points: [[3, 4], [5, 6]] };
  const updated = project.annotations.update(
    created.id,
    { categoryId: seal.id, source: 'manual', shape: { mask: { counts: 'after', size: [48, 64] }, bbox: [0, 0, 4, 4], area: 16 }, prompts: [stroke] },
    { by: 'reviewer' },
  );
  assert.deepEqual(
    [updated.categoryId, updated.mask.counts, updated.bbox, updated.area, updated.iouPrediction, updated.source, updated.updatedBy, updated.createdBy],
    [seal.id, 'after', [0, 0, 4, 4], 16, null, 'manual', 'reviewer', 'tester'],
  );
  assert.deepEqual(project.annotations.prompts(created.id), [prompts[0], stroke]);
  const last = project.history.list().at(-1)!;
  assert.deepEqual([last.op, last.before?.mask.counts, last.after?.mask.counts, last.actor], ['update', 'before', 'after', 'reviewer']);
});

test('deleting hides the annotation from lists but keeps the row; the image goes back to new', () => {
  const { project } = tempProject();
  const category = project.categories.create({ name: 'stamp' });
  const image = insertImage(project, 1);
  const kept = project.annotations.create(annotationOn(image, category.id, 'kept'));
  const removed = project.annotations.create(annotationOn(image, category.id, 'removed'));
  project.annotations.delete(removed.id);
  assert.deepEqual(project.annotations.listByImage(image.id).map((a) => a.id), [kept.id]);
  assert.deepEqual([...project.annotations.iterateLive()].map((a) => a.id), [kept.id]);
  assert.equal(project.annotations.require(removed.id).deleted, true);
  assert.throws(() => project.annotations.update(removed.id, { categoryId: category.id }), { code: 'NOT_FOUND', message: /was deleted/ });
  project.annotations.delete(kept.id);
  assert.equal(project.images.require(image.id).status, 'new');
});

test('bulk imports can skip history, and a failed batch leaves nothing behind', () => {
  const { project } = tempProject();
  const category = project.categories.create({ name: 'stamp' });
  const image = insertImage(project, 1);
  project.transaction(() => {
    for (let i = 0; i < 3; i++) project.annotations.create({ ...annotationOn(image, category.id), source: 'imported' }, { recordHistory: false });
  });
  assert.equal(project.annotations.countLive(), 3);
  assert.equal(project.history.latestId(), 0);
  assert.throws(() =>
    project.transaction(() => {
      project.annotations.create(annotationOn(image, category.id));
      project.annotations.create({ ...annotationOn(image, category.id), bbox: [-5, 0, 1, 1] });
    }),
  );
  assert.equal(project.annotations.countLive(), 3);
  assert.equal(project.history.latestId(), 0);
});
