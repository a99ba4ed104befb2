// Schema 2: the SAM side of a project: embedding cache, the resumable embedding queue, model versions, training runs.
import type { Migration } from './index.js';

export const embeddingsModelsTraining: Migration = {
  version: 2,
  name: '0002-embeddings-models-training',
  up(db) {
    db.exec(`
      -- data: float16 little-endian, row-major in the order of shape; bytes: its length as written.
      -- bytes sits before data so totals never read the blob's overflow pages.
      CREATE TABLE embeddings (
        id INTEGER PRIMARY KEY,
        image_hash TEXT NOT NULL,
        encoder_id TEXT NOT NULL,
        dtype TEXT NOT NULL CHECK (dtype = 'float16'),
        shape TEXT NOT NULL CHECK (json_valid(shape)),
        bytes INTEGER NOT NULL CHECK (bytes >= 0),
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        data BLOB NOT NULL,
        UNIQUE (image_hash, encoder_id)
      ) STRICT;
      CREATE INDEX embeddings_least_recently_used ON embeddings (last_used_at, id, bytes);

      -- An entry lives until its embedding is cached; 'running' left by a killed process is resumed as 'pending'.
      CREATE TABLE embed_queue (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        encoder_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        last_error TEXT,
        enqueued_at INTEGER NOT NULL,
        UNIQUE (image_id, encoder_id)
      ) STRICT;
      CREATE INDEX embed_queue_by_state ON embed_queue (encoder_id, state, id);

      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('checkpoint', 'decoder')),
        name TEXT NOT NULL,
        path TEXT,
        weights BLOB,
        parent_id INTEGER REFERENCES models (id) ON DELETE RESTRICT,
        metrics TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
        active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
        created_at INTEGER NOT NULL,
        CHECK ((path IS NULL) <> (weights IS NULL))
      ) STRICT;
      CREATE UNIQUE INDEX models_one_active_per_kind ON models (kind) WHERE active = 1;
      CREATE INDEX models_by_kind ON models (kind, id);

      -- history_cursor: the newest history id whose changes the run saw; later changes count as new corrections.
      CREATE TABLE training_runs (
        id INTEGER PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
        settings TEXT NOT NULL CHECK (json_valid(settings)),
        base_model_id INTEGER REFERENCES models (id) ON DELETE RESTRICT,
        result_model_id INTEGER REFERENCES models (id) ON DELETE RESTRICT,
        history_cursor INTEGER NOT NULL CHECK (history_cursor >= 0),
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        metrics TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
        error TEXT
      ) STRICT;
      CREATE INDEX training_runs_by_status ON training_runs (status, id);
    `);
  },
};
