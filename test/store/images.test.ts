import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { insertImage, tempProject } from './temp-project.js';

test('paths inside the project folder are stored relative with "/", others absolute', () => {
  const { project, folder } = tempProject();
  const inside = project.images.insert({
    absolutePath: path.join(folder, 'scans', 'batch 1', 'p.png'),
    width: 5,
    height: 5,
    byteSize: 1,
    format: 'png',
    contentHash: '1'.repeat(64),
  });
  const outside = project.images.insert({
    absolutePath: path.join(path.dirname(folder), 'elsewhere', 'q.png'),
    width: 5,
    height: 5,
    byteSize: 1,
    format: 'png',
    contentHash: '2'.repeat(64),
  });
  assert.equal(inside.storedPath, 'scans/batch 1/p.png');
  assert.equal(inside.absolutePath, path.join(folder, 'scans', 'batch 1', 'p.png'));
  assert.equal(outside.storedPath, path.join(path.dirname(folder), 'elsewhere', 'q.png'));
  assert.equal(outside.fileName, 'q.png');
});

test('images are listed a page at a time, optionally by status, and counted per status', () => {
  const { project } = tempProject();
  const images = Array.from({ length: 12 }, (_, i) => insertImage(project, i + 1));
  for (const image of images.slice(0, 3)) project.images.markMissing(image.id);
  assert.deepEqual(project.images.list({ offset: 5, limit: 4 }).map((i) => i.id), images.slice(5, 9).map((i) => i.id));
  assert.deepEqual(project.images.list({ status: 'missing', limit: 2, offset: 1 }).map((i) => i.id), [images[1].id, images[2].id]);
  assert.deepEqual(project.images.countByStatus(), { new: 9, embedding: 0, ready: 0, labelled: 0, missing: 3 });
  assert.equal(project.images.count(), 12);
  assert.throws(() => project.images.list({ limit: 0 }), { code: 'INVALID_ARGUMENT' });
});

test('listing a page uses an index, never a scan of the images table', () => {
  const { file } = tempProject();
  const db = new Database(file, { readonly: true });
  const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((row) => row.detail).join('; ');
  try {
    assert.match(plan("SELECT * FROM images WHERE status = 'new' ORDER BY id LIMIT 50 OFFSET 0"), /SEARCH images USING INDEX images_by_status/);
    assert.match(plan('SELECT status, count(*) FROM images GROUP BY status'), /COVERING INDEX images_by_status/);
    assert.match(plan('SELECT * FROM annotations WHERE image_id = 3 AND deleted = 0 ORDER BY id'), /annotations_by_image/);
  } finally {
    db.close();
  }
});
