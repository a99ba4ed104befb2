// The append-only change log: records each annotation change, and undoes/redoes them along the branch in use.
import { MaskLoopError } from '../errors.js';
import { annotationStateSchema, type AnnotationState } from './annotation-state.js';
import type { SqliteDatabase } from './database.js';
import { parseJsonColumn } from './json-columns.js';

export type ChangeOp = 'create' | 'update' | 'delete';
export type HistoryOp = ChangeOp | 'undo' | 'redo';
export type HistoryEntity = 'annotation';

export interface Change {
  op: ChangeOp;
  entity: HistoryEntity;
  entityId: number;
  /** null: the entity did not exist before (create). */
  before: AnnotationState | null;
  after: AnnotationState;
  actor: string;
}

export interface HistoryEntry {
  id: number;
  op: HistoryOp;
  entity: HistoryEntity;
  entityId: number;
  before: AnnotationState | null;
  after: AnnotationState | null;
  /** For changes: the change that was current when this one was made (null: the first on its branch). */
  previousId: number | null;
  /** For undo/redo rows: the change undone or redone. */
  revertsId: number | null;
  actor: string;
  /** ms since the epoch. */
  at: number;
}

/** What one undo or redo did: which change it reverted or reapplied, and the entity's state now. */
export interface UndoRedoStep {
  direction: 'undo' | 'redo';
  /** The history row written for this step. */
  historyId: number;
  change: { id: number; op: ChangeOp };
  entity: HistoryEntity;
  entityId: number;
  /** The entity's state after the step; null when undoing a create. */
  state: AnnotationState | null;
}

/** Writes an entity's state back for undo/redo (null: make it not exist). Supplied by the entity's repository. */
export type StateApplier = (entityId: number, state: AnnotationState | null, actor: string) => void;

interface HistoryRow {
  id: number;
  op: HistoryOp;
  entity: HistoryEntity;
  entity_id: number;
  before: string | null;
  after: string | null;
  previous_id: number | null;
  reverts_id: number | null;
  actor: string;
  at: number;
}

const HISTORY_COLUMNS = 'id, op, entity, entity_id, before, after, previous_id, reverts_id, actor, at';
const CHANGE_OPS = "op IN ('create', 'update', 'delete')";

export class HistoryRepository {
  private readonly statements;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number,
    private readonly appliers: Record<HistoryEntity, StateApplier>,
  ) {
    this.statements = {
      append: db.prepare<[HistoryOp, HistoryEntity, number, string | null, string | null, number | null, number | null, string, number]>(
        `INSERT INTO history (op, entity, entity_id, before, after, previous_id, reverts_id, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byId: db.prepare<[number], HistoryRow>(`SELECT ${HISTORY_COLUMNS} FROM history WHERE id = ?`),
      last: db.prepare<[], HistoryRow>(`SELECT ${HISTORY_COLUMNS} FROM history ORDER BY id DESC LIMIT 1`),
      // A change's newest child is the one to redo: any later change from the same point replaced the older ones.
      newestChildOf: db.prepare<[number | null], { id: number }>(
        `SELECT id FROM history WHERE previous_id IS ? AND ${CHANGE_OPS} ORDER BY id DESC LIMIT 1`,
      ),
      page: db.prepare<[number, number], HistoryRow>(`SELECT ${HISTORY_COLUMNS} FROM history WHERE id > ? ORDER BY id LIMIT ?`),
      countCorrectionsAfter: db.prepare<[number], { n: number }>(
        "SELECT count(*) AS n FROM history WHERE id > ? AND op IN ('create', 'update')",
      ),
    };
  }

  /** Appends a change made by the caller's transaction; it becomes the current change for undo. */
  recordChange(change: Change): number {
    const result = this.statements.append.run(
      change.op,
      change.entity,
      change.entityId,
      stateJson(change.before),
      stateJson(change.after),
      this.currentChangeId(),
      null,
      change.actor,
      this.now(),
    );
    return Number(result.lastInsertRowid);
  }

  /**
   * The change whose effects are the newest still applied, or null when every change was undone.
   * Derived from the last row alone, so it costs one indexed lookup however long the history is.
   */
  currentChangeId(): number | null {
    const last = this.statements.last.get();
    if (!last) return null;
    if (last.op === 'undo') return this.statements.byId.get(last.reverts_id!)!.previous_id;
    if (last.op === 'redo') return last.reverts_id;
    return last.id;
  }

  canUndo(): boolean {
    return this.currentChangeId() !== null;
  }

  canRedo(): boolean {
    return this.statements.newestChildOf.get(this.currentChangeId()) !== undefined;
  }

  /** Reverts the current change (one transaction with its history row); undefined when there is nothing to undo. */
  undo(actor: string): UndoRedoStep | undefined {
    return this.db.transaction(() => {
      const currentId = this.currentChangeId();
      return currentId === null ? undefined : this.step('undo', this.entry(currentId), actor);
    })();
  }

  /** Reapplies the change undone most recently on the current branch; undefined when there is none. */
  redo(actor: string): UndoRedoStep | undefined {
    return this.db.transaction(() => {
      const child = this.statements.newestChildOf.get(this.currentChangeId());
      return child === undefined ? undefined : this.step('redo', this.entry(child.id), actor);
    })();
  }

  /** Entries in order, after `afterId` (0: from the start). */
  list(afterId = 0, limit = 100): HistoryEntry[] {
    return this.statements.page.all(afterId, limit).map(toEntry);
  }

  latestId(): number {
    return this.statements.last.get()?.id ?? 0;
  }

  /** Annotations created or edited after history row `historyId`: the signal that a fine-tune is due. */
  countCorrectionsAfter(historyId: number): number {
    return this.statements.countCorrectionsAfter.get(historyId)!.n;
  }

  private step(direction: 'undo' | 'redo', change: HistoryEntry, actor: string): UndoRedoStep {
    const state = direction === 'undo' ? change.before : change.after;
    this.appliers[change.entity](change.entityId, state, actor);
    const result = this.statements.append.run(
      direction,
      change.entity,
      change.entityId,
      stateJson(direction === 'undo' ? change.after : change.before),
      stateJson(state),
      null,
      change.id,
      actor,
      this.now(),
    );
    return {
      direction,
      historyId: Number(result.lastInsertRowid),
      change: { id: change.id, op: change.op as ChangeOp },
      entity: change.entity,
      entityId: change.entityId,
      state,
    };
  }

  private entry(id: number): HistoryEntry {
    const row = this.statements.byId.get(id);
    if (!row) throw new MaskLoopError('PROJECT', `History entry ${id} is missing from the project file; restore it from a backup.`);
    return toEntry(row);
  }
}

function stateJson(state: AnnotationState | null): string | null {
  return state === null ? null : JSON.stringify(state);
}

function toEntry(row: HistoryRow): HistoryEntry {
  return {
    id: row.id,
    op: row.op,
    entity: row.entity,
    entityId: row.entity_id,
    before: row.before === null ? null : parseJsonColumn(annotationStateSchema, row.before, `history entry ${row.id}`),
    after: row.after === null ? null : parseJsonColumn(annotationStateSchema, row.after, `history entry ${row.id}`),
    previousId: row.previous_id,
    revertsId: row.reverts_id,
    actor: row.actor,
    at: row.at,
  };
}
