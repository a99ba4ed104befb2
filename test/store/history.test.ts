import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Project } from '../../src-main/store/project.js';
import { annotationOn, closeAtEnd, insertImage, tempProject } from './temp-project.js';

function setup() {
  const { project, file } = tempProject();
  const category = project.categories.create({ name: 'stamp' });
  const image = insertImage(project, 1);
  const liveCounts = (p: Project = project) => p.annotations.listByImage(image.id).map((a) => a.mask.counts);
  return { project, file, category, image, liveCounts };
}

test('undo and redo walk back and forth through create, update and delete, returning what changed', () => {
  const { project, category, image, liveCounts } = setup();
  const a = project.annotations.create(annotationOn(image, category.id, 'a1'));
  project.annotations.update(a.id, { shape: { mask: { counts: 'a2', size: [48, 64] }, bbox: [0, 0, 1, 1], area: 1 } });
  const b = project.annotations.create(annotationOn(image, category.id, 'b1'));
  project.annotations.delete(b.id);
  assert.deepEqual(liveCounts(), ['a2']);

  const undoDelete = project.undo()!;
  assert.deepEqual(
    [undoDelete.direction, undoDelete.change.op, undoDelete.entityId, undoDelete.state?.deleted],
    ['undo', 'delete', b.id, false],
  );
  assert.deepEqual(liveCounts(), ['a2', 'b1']);
  assert.equal(project.undo()!.state, null); // undoing b's create
  assert.deepEqual(liveCounts(), ['a2']);
  assert.equal(project.undo()!.state?.mask.counts, 'a1');
  assert.deepEqual(liveCounts(), ['a1']);
  project.undo();
  assert.deepEqual(liveCounts(), []);
  assert.equal(project.images.require(image.id).status, 'new');
  assert.equal(project.undo(), undefined);
  assert.equal(project.history.canUndo(), false);

  assert.equal(project.redo()!.change.op, 'create');
  assert.equal(project.images.require(image.id).status, 'labelled');
  assert.equal(project.redo()!.change.op, 'update');
  assert.equal(project.redo()!.change.op, 'create');
  assert.equal(project.redo()!.change.op, 'delete');
  assert.deepEqual(liveCounts(), ['a2']);
  assert.equal(project.redo(), undefined);
});

test('a new change after undo drops the undone branch from redo', () => {
  const { project, category, image, liveCounts } = setup();
  project.annotations.create(annotationOn(image, category.id, 'first'));
  project.annotations.create(annotationOn(image, category.id, 'abandoned'));
  project.undo();
  project.annotations.create(annotationOn(image, category.id, 'replacement'));
  assert.equal(project.history.canRedo(), false);
  assert.equal(project.redo(), undefined);
  project.undo();
  project.undo();
  assert.deepEqual(liveCounts(), []);
  project.redo();
  project.redo();
  assert.deepEqual(liveCounts(), ['first', 'replacement']);
});

test('the undo position is stored in the file and survives reopening', () => {
  const { project, file, category, image, liveCounts } = setup();
  project.annotations.create(annotationOn(image, category.id, 'one'));
  project.annotations.create(annotationOn(image, category.id, 'two'));
  project.undo();
  project.close();
  const reopened = closeAtEnd(Project.open(file));
  assert.deepEqual(liveCounts(reopened), ['one']);
  assert.equal(reopened.redo()?.state?.mask.counts, 'two');
  assert.equal(reopened.undo()?.state, null);
  assert.equal(reopened.undo()?.state, null);
  assert.deepEqual(liveCounts(reopened), []);
  assert.deepEqual(
    reopened.history.list().map((e) => e.op),
    ['create', 'create', 'undo', 'redo', 'undo', 'undo'],
  );
});

test('history rows cannot be changed or deleted', () => {
  const { project, file, category, image } = setup();
  project.annotations.create(annotationOn(image, category.id));
  const db = new Database(file);
  try {
    assert.throws(() => db.prepare("UPDATE history SET actor = 'someone else'").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM history').run(), /append-only/);
  } finally {
    db.close();
  }
});

test('corrections are counted from the history position of the last successful fine-tune', () => {
  const { project, category, image } = setup();
  const a = project.annotations.create(annotationOn(image, category.id));
  project.annotations.update(a.id, { source: 'manual' });
  assert.equal(project.correctionsSinceLastFineTune(), 2);

  const run = project.trainingRuns.start({ settings: { steps: 10 }, baseModelId: null, historyCursor: project.history.latestId() });
  project.annotations.create(annotationOn(image, category.id));
  project.trainingRuns.finish(run.id, { status: 'failed', error: 'out of memory' });
  assert.equal(project.correctionsSinceLastFineTune(), 3);

  const next = project.trainingRuns.start({ settings: {}, baseModelId: null, historyCursor: project.history.latestId() });
  project.annotations.create(annotationOn(image, category.id));
  project.trainingRuns.finish(next.id, { status: 'succeeded', metrics: { heldOutIoU: 0.7 }, resultModelId: null });
  assert.equal(project.correctionsSinceLastFineTune(), 1);
});
