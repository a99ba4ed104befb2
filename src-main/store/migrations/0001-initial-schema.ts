// Schema 1: the project record, images, categories, annotations with the prompts that made them, and the change history.
import type { Migration } from './index.js';

export const initialSchema: Migration = {
  version: 1,
  name: '0001-initial-schema',
  up(db) {
    db.exec(`
      CREATE TABLE project (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL CHECK (length(trim(name)) > 0),
        created_at INTEGER NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings))
      ) STRICT;

      -- path: relative to the project file's folder (with '/') when the image lies inside it, else absolute.
      CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        width INTEGER NOT NULL CHECK (width > 0),
        height INTEGER NOT NULL CHECK (height > 0),
        byte_size INTEGER NOT NULL CHECK (byte_size >= 0),
        format TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE CHECK (length(content_hash) = 64),
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'embedding', 'ready', 'labelled', 'missing')),
        added_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX images_by_status ON images (status, id);

      CREATE TABLE categories (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
        colour TEXT NOT NULL CHECK (colour GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
        supercategory TEXT NOT NULL DEFAULT '',
        sort_order INTEGER NOT NULL
      ) STRICT;

      -- mask: COCO compressed RLE counts of a mask_height x mask_width mask (the image's size).
      -- deleted = 1 keeps the row for undo; every query for the user's annotations filters it out.
      CREATE TABLE annotations (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE RESTRICT,
        category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
        mask_counts TEXT NOT NULL,
        mask_height INTEGER NOT NULL CHECK (mask_height > 0),
        mask_width INTEGER NOT NULL CHECK (mask_width > 0),
        bbox_x REAL NOT NULL,
        bbox_y REAL NOT NULL,
        bbox_w REAL NOT NULL CHECK (bbox_w >= 0),
        bbox_h REAL NOT NULL CHECK (bbox_h >= 0),
        area INTEGER NOT NULL CHECK (area >= 0),
        iou_prediction REAL,
        source TEXT NOT NULL CHECK (source IN ('sam', 'manual', 'imported')),
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
      ) STRICT;
      CREATE INDEX annotations_by_image ON annotations (image_id, deleted);
      CREATE INDEX annotations_by_category ON annotations (category_id, deleted);

      CREATE TABLE annotation_prompts (
        id INTEGER PRIMARY KEY,
        annotation_id INTEGER NOT NULL REFERENCES annotations (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('point', 'box', 'brush')),
        payload TEXT NOT NULL CHECK (json_valid(payload)),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX annotation_prompts_by_annotation ON annotation_prompts (annotation_id, id);

      -- Changes form a tree for undo/redo: a change's previous_id is the change that was current
      -- when it was made; undo and redo rows name the change they revert or reapply.
      CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'undo', 'redo')),
        entity TEXT NOT NULL CHECK (entity IN ('annotation')),
        entity_id INTEGER NOT NULL,
        before TEXT CHECK (before IS NULL OR json_valid(before)),
        after TEXT CHECK (after IS NULL OR json_valid(after)),
        previous_id INTEGER REFERENCES history (id),
        reverts_id INTEGER REFERENCES history (id),
        actor TEXT NOT NULL,
        at INTEGER NOT NULL,
        CHECK ((op IN ('undo', 'redo')) = (reverts_id IS NOT NULL)),
        CHECK (op IN ('create', 'update', 'delete') OR previous_id IS NULL)
      ) STRICT;
      CREATE INDEX history_changes_by_previous ON history (previous_id, id) WHERE op IN ('create', 'update', 'delete');
      CREATE TRIGGER history_rows_are_never_updated BEFORE UPDATE ON history
        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
      CREATE TRIGGER history_rows_are_never_deleted BEFORE DELETE ON history
        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
    `);
  },
};
