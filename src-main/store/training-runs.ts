// Training run rows: settings, status, timing, metrics or error, and the history position each run trained up to.
import { MaskLoopError } from '../errors.js';
import type { SqliteDatabase } from './database.js';
import { jsonObjectSchema, parseJsonColumn, type JsonObject } from './json-columns.js';

export type TrainingRunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TrainingRun {
  id: number;
  status: TrainingRunStatus;
  settings: JsonObject;
  baseModelId: number | null;
  resultModelId: number | null;
  /** The newest history id the run's samples included; corrections after it count toward the next run. */
  historyCursor: number;
  startedAt: number;
  finishedAt: number | null;
  metrics: JsonObject | null;
  error: string | null;
}

export interface NewTrainingRun {
  settings: JsonObject;
  baseModelId: number | null;
  historyCursor: number;
}

export type TrainingRunOutcome =
  | { status: 'succeeded'; metrics: JsonObject; resultModelId: number | null }
  | { status: 'failed'; error: string; metrics?: JsonObject }
  | { status: 'cancelled'; metrics?: JsonObject };

interface TrainingRunRow {
  id: number;
  status: TrainingRunStatus;
  settings: string;
  base_model_id: number | null;
  result_model_id: number | null;
  history_cursor: number;
  started_at: number;
  finished_at: number | null;
  metrics: string | null;
  error: string | null;
}

const RUN_COLUMNS = 'id, status, settings, base_model_id, result_model_id, history_cursor, started_at, finished_at, metrics, error';
const INTERRUPTED = 'MaskLoop stopped while this run was training; start it again.';

export class TrainingRunsRepository {
  private readonly statements;

  constructor(
    db: SqliteDatabase,
    private readonly now: () => number,
  ) {
    this.statements = {
      insert: db.prepare<[string, number | null, number, number], { id: number }>(
        "INSERT INTO training_runs (status, settings, base_model_id, history_cursor, started_at) VALUES ('running', ?, ?, ?, ?) RETURNING id",
      ),
      finish: db.prepare<[TrainingRunStatus, number, string | null, string | null, number | null, number]>(
        "UPDATE training_runs SET status = ?, finished_at = ?, metrics = ?, error = ?, result_model_id = ? WHERE id = ? AND status = 'running'",
      ),
      byId: db.prepare<[number], TrainingRunRow>(`SELECT ${RUN_COLUMNS} FROM training_runs WHERE id = ?`),
      recent: db.prepare<[number], TrainingRunRow>(`SELECT ${RUN_COLUMNS} FROM training_runs ORDER BY id DESC LIMIT ?`),
      latestSucceeded: db.prepare<[], TrainingRunRow>(
        `SELECT ${RUN_COLUMNS} FROM training_runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1`,
      ),
      failRunning: db.prepare<[number, string]>(
        "UPDATE training_runs SET status = 'failed', finished_at = ?, error = ? WHERE status = 'running'",
      ),
    };
  }

  start(run: NewTrainingRun): TrainingRun {
    const { id } = this.statements.insert.get(JSON.stringify(run.settings), run.baseModelId, run.historyCursor, this.now())!;
    return this.require(id);
  }

  /** Records how a running run ended; a run that already ended cannot be finished again. */
  finish(id: number, outcome: TrainingRunOutcome): TrainingRun {
    const metrics = outcome.metrics === undefined ? null : JSON.stringify(outcome.metrics);
    const error = outcome.status === 'failed' ? outcome.error : null;
    const resultModelId = outcome.status === 'succeeded' ? outcome.resultModelId : null;
    const changed = this.statements.finish.run(outcome.status, this.now(), metrics, error, resultModelId, id).changes;
    if (changed === 0) {
      throw new MaskLoopError('TRAINING', `Training run ${id} is not running (it is ${this.require(id).status}), so it cannot be finished.`);
    }
    return this.require(id);
  }

  get(id: number): TrainingRun | undefined {
    const row = this.statements.byId.get(id);
    return row && toRun(row);
  }

  require(id: number): TrainingRun {
    const run = this.get(id);
    if (!run) throw new MaskLoopError('NOT_FOUND', `Training run ${id} is not in this project.`);
    return run;
  }

  /** Newest first. */
  listRecent(limit = 20): TrainingRun[] {
    return this.statements.recent.all(limit).map(toRun);
  }

  latestSucceeded(): TrainingRun | undefined {
    const row = this.statements.latestSucceeded.get();
    return row && toRun(row);
  }

  /** For the training owner at start-up: runs left 'running' by a process that died are marked failed. */
  failInterrupted(): number {
    return this.statements.failRunning.run(this.now(), INTERRUPTED).changes;
  }
}

function toRun(row: TrainingRunRow): TrainingRun {
  return {
    id: row.id,
    status: row.status,
    settings: parseJsonColumn(jsonObjectSchema, row.settings, `settings of training run ${row.id}`),
    baseModelId: row.base_model_id,
    resultModelId: row.result_model_id,
    historyCursor: row.history_cursor,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    metrics: row.metrics === null ? null : parseJsonColumn(jsonObjectSchema, row.metrics, `metrics of training run ${row.id}`),
    error: row.error,
  };
}
