import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { applyMigrations, createProjectDatabase, LATEST_SCHEMA_VERSION } from '../../src-main/store/database.js';
import { MIGRATIONS, type Migration } from '../../src-main/store/migrations/index.js';
import { Project } from '../../src-main/store/project.js';
import { closeAtEnd, tempFolder } from './temp-project.js';

const HASH = 'ab'.repeat(32);

/** A project file as MaskLoop wrote it with schema 1 only, holding rows of every schema-1 table. */
function writeSchemaOneProject(file: string): void {
  const db = createProjectDatabase(file, MIGRATIONS.slice(0, 1));
  db.exec(`
    INSERT INTO project (id, name, created_at, settings) VALUES (1, 'Old stamps', 1700000000000, '{"embeddingCacheBudgetBytes":5000}');
    INSERT INTO images (id, path, width, height, byte_size, format, content_hash, status, added_at)
      VALUES (7, 'scans/page-1.png', 40, 30, 1234, 'png', '${HASH}', 'labelled', 1700000000001);
    INSERT INTO categories (id, name, colour, supercategory, sort_order) VALUES (3, 'stamp', '#e6194b', 'mark', 0);
    INSERT INTO annotations (id, image_id, category_id, mask_counts, mask_height, mask_width, bbox_x, bbox_y, bbox_w, bbox_h,
        area, iou_prediction, source, created_by, created_at, updated_by, updated_at, deleted)
      VALUES (11, 7, 3, 'old-rle', 30, 40, 1, 2, 5, 6, 20, 0.8, 'sam', 'ann', 1700000000002, 'ann', 1700000000002, 0);
    INSERT INTO annotation_prompts (annotation_id, kind, payload, created_at)
      VALUES (11, 'box', '{"kind":"box","x0":1,"y0":2,"x1":6,"y1":8}', 1700000000002);
    INSERT INTO history (op, entity, entity_id, before, after, previous_id, reverts_id, actor, at)
      VALUES ('create', 'annotation', 11, NULL,
        '{"imageId":7,"categoryId":3,"mask":{"counts":"old-rle","size":[30,40]},"bbox":[1,2,5,6],"area":20,"iouPrediction":0.8,"source":"sam","deleted":false}',
        NULL, NULL, 'ann', 1700000000002);
  `);
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  db.close();
}

test('a schema-1 project opens with current code: rows kept, schema upgraded, new tables usable', () => {
  const folder = tempFolder();
  const file = path.join(folder, 'old.maskloop');
  writeSchemaOneProject(file);

  const project = closeAtEnd(Project.open(file));
  const reader = new Database(file, { readonly: true });
  assert.equal(reader.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
  reader.close();
  assert.equal(project.name, 'Old stamps');
  assert.equal(project.settings().embeddingCacheBudgetBytes, 5000);
  const image = project.images.require(7);
  assert.equal(image.absolutePath, path.join(folder, 'scans', 'page-1.png'));
  assert.deepEqual(project.categories.require(3).supercategory, 'mark');
  assert.deepEqual(project.annotations.listByImage(7).map((a) => [a.id, a.mask.counts, a.bbox]), [[11, 'old-rle', [1, 2, 5, 6]]]);
  assert.deepEqual(project.annotations.prompts(11), [{ kind: 'box', x0: 1, y0: 2, x1: 6, y1: 8 }]);

  // Old history still drives undo, and schema-2 tables work with schema-1 rows.
  assert.equal(project.undo()?.change.op, 'create');
  assert.equal(project.annotations.listByImage(7).length, 0);
  assert.equal(project.embedJobs.enqueueMissing('encoder-a'), 1);
  project.embeddings.put(HASH, 'encoder-a', new Float32Array(4).fill(0.5), [1, 4]);
  assert.equal(project.images.require(7).status, 'ready');
  assert.deepEqual(project.checkIntegrity(), ['ok']);
});

test('a migration that fails leaves the file at the schema it had', () => {
  const file = path.join(tempFolder(), 'half.maskloop');
  const failing: Migration = {
    version: 2,
    name: '0002-fails-half-way',
    up(db) {
      db.exec('CREATE TABLE half_done (x INTEGER) STRICT');
      throw new Error('disk on fire');
    },
  };
  const db = createProjectDatabase(file, MIGRATIONS.slice(0, 1));
  assert.throws(() => applyMigrations(db, [MIGRATIONS[0], failing]), /disk on fire/);
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  assert.deepEqual(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'half_done'").all(), []);
  db.close();
});

test('migrations are numbered 1..N in order', () => {
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, index) => index + 1),
  );
  assert.ok(MIGRATIONS.every((m) => /^\d{4}-[a-z0-9-]+$/.test(m.name) && Number(m.name.slice(0, 4)) === m.version));
});
