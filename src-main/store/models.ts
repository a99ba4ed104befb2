// Model versions: SAM checkpoints (by path) and fine-tuned decoders (weights stored inline) with parent, metrics, active flag.
import { MaskLoopError } from '../errors.js';
import type { SqliteDatabase } from './database.js';
import { jsonObjectSchema, parseJsonColumn, type JsonObject } from './json-columns.js';

export type ModelKind = 'checkpoint' | 'decoder';

export interface ModelRecord {
  id: number;
  kind: ModelKind;
  name: string;
  /** Where a checkpoint lives on disk (absolute); null for models stored inline. */
  path: string | null;
  hasInlineWeights: boolean;
  /** The model this one was fine-tuned from (a decoder's parent is a decoder or a checkpoint). */
  parentId: number | null;
  metrics: JsonObject;
  active: boolean;
  createdAt: number;
}

export interface NewCheckpoint {
  name: string;
  path: string;
  metrics?: JsonObject;
}

export interface NewDecoder {
  name: string;
  /** Serialized decoder weights, in the format the training code writes. */
  weights: Uint8Array;
  parentId: number | null;
  metrics?: JsonObject;
}

interface ModelRow {
  id: number;
  kind: ModelKind;
  name: string;
  path: string | null;
  has_weights: number;
  parent_id: number | null;
  metrics: string;
  active: number;
  created_at: number;
}

// Never selects the weights blob: listing versions must not read megabytes per row.
const MODEL_COLUMNS = 'id, kind, name, path, weights IS NOT NULL AS has_weights, parent_id, metrics, active, created_at';

export class ModelsRepository {
  private readonly statements;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number,
  ) {
    this.statements = {
      insert: db.prepare<[ModelKind, string, string | null, Uint8Array | null, number | null, string, number], { id: number }>(
        'INSERT INTO models (kind, name, path, weights, parent_id, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
      ),
      byId: db.prepare<[number], ModelRow>(`SELECT ${MODEL_COLUMNS} FROM models WHERE id = ?`),
      byKind: db.prepare<[ModelKind], ModelRow>(`SELECT ${MODEL_COLUMNS} FROM models WHERE kind = ? ORDER BY id`),
      activeOfKind: db.prepare<[ModelKind], ModelRow>(`SELECT ${MODEL_COLUMNS} FROM models WHERE kind = ? AND active = 1`),
      weights: db.prepare<[number], { weights: Buffer | null }>('SELECT weights FROM models WHERE id = ?'),
      deactivateKind: db.prepare<[ModelKind]>('UPDATE models SET active = 0 WHERE kind = ? AND active = 1'),
      activate: db.prepare<[number]>('UPDATE models SET active = 1 WHERE id = ?'),
      setMetrics: db.prepare<[string, number]>('UPDATE models SET metrics = ? WHERE id = ?'),
    };
  }

  addCheckpoint(checkpoint: NewCheckpoint): ModelRecord {
    return this.insert('checkpoint', checkpoint.name, checkpoint.path, null, null, checkpoint.metrics ?? {});
  }

  addDecoder(decoder: NewDecoder): ModelRecord {
    if (decoder.parentId !== null) this.require(decoder.parentId);
    return this.insert('decoder', decoder.name, null, decoder.weights, decoder.parentId, decoder.metrics ?? {});
  }

  get(id: number): ModelRecord | undefined {
    const row = this.statements.byId.get(id);
    return row && toModel(row);
  }

  require(id: number): ModelRecord {
    const model = this.get(id);
    if (!model) throw new MaskLoopError('NOT_FOUND', `Model ${id} is not in this project.`);
    return model;
  }

  list(kind: ModelKind): ModelRecord[] {
    return this.statements.byKind.all(kind).map(toModel);
  }

  active(kind: ModelKind): ModelRecord | undefined {
    const row = this.statements.activeOfKind.get(kind);
    return row && toModel(row);
  }

  /** Makes this model the one in use for its kind (rolling back is activating an older one). */
  activate(id: number): ModelRecord {
    const model = this.require(id);
    this.db.transaction(() => {
      this.statements.deactivateKind.run(model.kind);
      this.statements.activate.run(id);
    })();
    return this.require(id);
  }

  /** Leaves no model of this kind active, e.g. to go back to a checkpoint's own decoder. */
  deactivate(kind: ModelKind): void {
    this.statements.deactivateKind.run(kind);
  }

  setMetrics(id: number, metrics: JsonObject): ModelRecord {
    this.require(id);
    this.statements.setMetrics.run(JSON.stringify(metrics), id);
    return this.require(id);
  }

  /** Inline weights of a stored decoder. */
  weights(id: number): Buffer {
    const row = this.statements.weights.get(id);
    if (!row) throw new MaskLoopError('NOT_FOUND', `Model ${id} is not in this project.`);
    if (!row.weights) throw new MaskLoopError('INVALID_ARGUMENT', `Model ${id} is stored as a file path, not inline weights.`);
    return row.weights;
  }

  /** The model and its ancestors, newest first: the versions a rollback can return to. */
  lineage(id: number): ModelRecord[] {
    const chain: ModelRecord[] = [];
    for (let model = this.get(id); model; model = model.parentId === null ? undefined : this.get(model.parentId)) {
      chain.push(model);
    }
    return chain;
  }

  private insert(kind: ModelKind, name: string, path: string | null, weights: Uint8Array | null, parentId: number | null, metrics: JsonObject): ModelRecord {
    if (name.trim() === '') throw new MaskLoopError('INVALID_ARGUMENT', 'A model needs a name that is not empty.');
    const { id } = this.statements.insert.get(kind, name.trim(), path, weights, parentId, JSON.stringify(metrics), this.now())!;
    return this.require(id);
  }
}

function toModel(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    path: row.path,
    hasInlineWeights: row.has_weights === 1,
    parentId: row.parent_id,
    metrics: parseJsonColumn(jsonObjectSchema, row.metrics, `metrics of model ${row.id}`),
    active: row.active === 1,
    createdAt: row.created_at,
  };
}
