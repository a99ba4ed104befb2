import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createProjectDatabase } from '../../../src-main/store/database.js';
import { MIGRATIONS } from '../../../src-main/store/migrations/index.js';
import { Project } from '../../../src-main/store/project.js';
import { closeAtEnd, tempFolder } from '../temp-project.js';

test('a schema-2 project gains mask_from_box = 0 on its annotations, and new box masks can be flagged', () => {
  const file = path.join(tempFolder(), 'schema2.maskloop');
  const db = createProjectDatabase(file, MIGRATIONS.slice(0, 2));
  db.exec(`
    INSERT INTO project (id, name, created_at, settings) VALUES (1, 'Old', 1700000000000, '{}');
    INSERT INTO images (id, path, width, height, byte_size, format, content_hash, status, added_at)
      VALUES (1, 'a.png', 40, 30, 100, 'png', '${'cd'.repeat(32)}', 'labelled', 1700000000001);
    INSERT INTO categories (id, name, colour, supercategory, sort_order) VALUES (1, 'stamp', '#e6194b', '', 0);
    INSERT INTO annotations (id, image_id, category_id, mask_counts, mask_height, mask_width, bbox_x, bbox_y, bbox_w, bbox_h,
        area, iou_prediction, source, created_by, created_at, updated_by, updated_at, deleted)
      VALUES (5, 1, 1, 'rle', 30, 40, 1, 2, 5, 6, 30, NULL, 'imported', 'a', 1, 'a', 1, 0);
  `);
  db.close();

  const project = closeAtEnd(Project.open(file));
  const old = project.annotations.require(5);
  assert.equal(old.maskFromBox, false);
  assert.equal(old.mask.counts, 'rle');
  const flagged = project.annotations.create({
    imageId: 1,
    categoryId: 1,
    mask: { counts: 'box', size: [30, 40] },
    bbox: [1, 1, 4, 4],
    area: 16,
    source: 'imported',
    maskFromBox: true,
  });
  assert.equal(project.annotations.require(flagged.id).maskFromBox, true);
  assert.deepEqual(project.checkIntegrity(), ['ok']);
});
