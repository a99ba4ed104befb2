import assert from 'node:assert/strict';
import { test } from 'node:test';
import { annotationOn, insertImage, tempProject } from './temp-project.js';

test('categories get palette colours and shortcut order in creation order', () => {
  const { project } = tempProject();
  const stamp = project.categories.create({ name: 'stamp', supercategory: 'mark' });
  const signature = project.categories.create({ name: 'signature', colour: '#00FF80' });
  assert.deepEqual(stamp, { id: stamp.id, name: 'stamp', colour: '#e6194b', supercategory: 'mark', sortOrder: 0 });
  assert.deepEqual(signature, { id: signature.id, name: 'signature', colour: '#00ff80', supercategory: '', sortOrder: 1 });
  assert.deepEqual(project.categories.reorder([signature.id, stamp.id]).map((c) => c.name), ['signature', 'stamp']);
});

test('category names are unique ignoring case, and colours must be #rrggbb', () => {
  const { project } = tempProject();
  const stamp = project.categories.create({ name: 'Stamp' });
  assert.throws(() => project.categories.create({ name: 'stamp' }), { code: 'INVALID_ARGUMENT', message: /already exists/ });
  assert.throws(() => project.categories.create({ name: 'seal', colour: 'red' }), { code: 'INVALID_ARGUMENT', message: /#rrggbb/ });
  assert.equal(project.categories.getByName('STAMP')?.id, stamp.id);
  assert.equal(project.categories.update(stamp.id, { name: 'STAMP' }).name, 'STAMP');
});

test('reordering must name every category once', () => {
  const { project } = tempProject();
  const a = project.categories.create({ name: 'a' });
  project.categories.create({ name: 'b' });
  assert.throws(() => project.categories.reorder([a.id, a.id]), { code: 'INVALID_ARGUMENT' });
});

test('a category in use by live annotations cannot be deleted; once unused it can', () => {
  const { project } = tempProject();
  const stamp = project.categories.create({ name: 'stamp' });
  const image = insertImage(project, 1);
  const annotation = project.annotations.create(annotationOn(image, stamp.id));
  assert.throws(() => project.categories.delete(stamp.id), { code: 'PROJECT', message: /used by 1 annotation/ });
  project.annotations.delete(annotation.id);
  project.categories.delete(stamp.id);
  assert.deepEqual(project.categories.list(), []);
  assert.throws(() => project.undo(), { code: 'PROJECT', message: /removed with its category/ });
});
