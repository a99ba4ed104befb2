// The persisted embedding queue: one row per (image, encoder) still to embed, so a restart resumes where it stopped.
import type { SqliteDatabase } from './database.js';

export type EmbedJobState = 'pending' | 'running' | 'failed';

export interface EmbedJob {
  id: number;
  imageId: number;
  encoderId: string;
  state: EmbedJobState;
  attempts: number;
  lastError: string | null;
}

interface EmbedJobRow {
  id: number;
  image_id: number;
  encoder_id: string;
  state: EmbedJobState;
  attempts: number;
  last_error: string | null;
}

const JOB_COLUMNS = 'id, image_id, encoder_id, state, attempts, last_error';

export class EmbedJobsRepository {
  private readonly statements;

  constructor(
    db: SqliteDatabase,
    private readonly now: () => number,
  ) {
    this.statements = {
      // Images present on disk with no embedding from this encoder; failed jobs are given fresh attempts.
      enqueueMissing: db.prepare<[string, number, string]>(
        `INSERT INTO embed_queue (image_id, encoder_id, state, enqueued_at)
         SELECT i.id, ?, 'pending', ? FROM images i
         WHERE i.status <> 'missing'
           AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.image_hash = i.content_hash AND e.encoder_id = ?)
         ORDER BY i.id
         ON CONFLICT (image_id, encoder_id) DO UPDATE SET state = 'pending', attempts = 0, last_error = NULL WHERE state = 'failed'`,
      ),
      enqueueOne: db.prepare<[number, string, number]>(
        `INSERT INTO embed_queue (image_id, encoder_id, state, enqueued_at) VALUES (?, ?, 'pending', ?)
         ON CONFLICT (image_id, encoder_id) DO UPDATE SET state = 'pending', attempts = 0, last_error = NULL WHERE state = 'failed'`,
      ),
      resumeRunning: db.prepare<[string]>("UPDATE embed_queue SET state = 'pending' WHERE encoder_id = ? AND state = 'running'"),
      nextPending: db.prepare<[string], EmbedJobRow>(
        `SELECT ${JOB_COLUMNS} FROM embed_queue WHERE encoder_id = ? AND state = 'pending' ORDER BY id LIMIT 1`,
      ),
      markRunning: db.prepare<[number]>("UPDATE embed_queue SET state = 'running', attempts = attempts + 1 WHERE id = ?"),
      markPending: db.prepare<[number]>("UPDATE embed_queue SET state = 'pending', attempts = max(attempts - 1, 0) WHERE id = ?"),
      recordFailure: db.prepare<[number, string, number]>(
        "UPDATE embed_queue SET state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END, last_error = ? WHERE id = ?",
      ),
      remove: db.prepare<[number]>('DELETE FROM embed_queue WHERE id = ?'),
      byId: db.prepare<[number], EmbedJobRow>(`SELECT ${JOB_COLUMNS} FROM embed_queue WHERE id = ?`),
      countByState: db.prepare<[string], { state: EmbedJobState; n: number }>(
        'SELECT state, count(*) AS n FROM embed_queue WHERE encoder_id = ? GROUP BY state',
      ),
      failed: db.prepare<[string], EmbedJobRow>(`SELECT ${JOB_COLUMNS} FROM embed_queue WHERE encoder_id = ? AND state = 'failed' ORDER BY id`),
      clearPending: db.prepare<[string]>("DELETE FROM embed_queue WHERE encoder_id = ? AND state = 'pending'"),
    };
  }

  /** Queues every image on disk that has no embedding from `encoderId`; returns how many rows were added or retried. */
  enqueueMissing(encoderId: string): number {
    return this.statements.enqueueMissing.run(encoderId, this.now(), encoderId).changes;
  }

  enqueue(imageId: number, encoderId: string): void {
    this.statements.enqueueOne.run(imageId, encoderId, this.now());
  }

  /** Jobs left 'running' by a process that stopped go back to 'pending'. */
  resumeInterrupted(encoderId: string): number {
    return this.statements.resumeRunning.run(encoderId).changes;
  }

  nextPending(encoderId: string): EmbedJob | undefined {
    const row = this.statements.nextPending.get(encoderId);
    return row && toJob(row);
  }

  markRunning(id: number): void {
    this.statements.markRunning.run(id);
  }

  /** Puts a job back unattempted, e.g. when the user cancelled it mid-way. */
  returnToPending(id: number): void {
    this.statements.markPending.run(id);
  }

  /** The job is retried later unless it has used `maxAttempts`; returns the job as it is now. */
  recordFailure(id: number, error: string, maxAttempts: number): EmbedJob {
    this.statements.recordFailure.run(maxAttempts, error, id);
    return toJob(this.statements.byId.get(id)!);
  }

  complete(id: number): void {
    this.statements.remove.run(id);
  }

  counts(encoderId: string): Record<EmbedJobState, number> {
    const counts: Record<EmbedJobState, number> = { pending: 0, running: 0, failed: 0 };
    for (const { state, n } of this.statements.countByState.all(encoderId)) counts[state] = n;
    return counts;
  }

  failed(encoderId: string): EmbedJob[] {
    return this.statements.failed.all(encoderId).map(toJob);
  }

  clearPending(encoderId: string): number {
    return this.statements.clearPending.run(encoderId).changes;
  }
}

function toJob(row: EmbedJobRow): EmbedJob {
  return {
    id: row.id,
    imageId: row.image_id,
    encoderId: row.encoder_id,
    state: row.state,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}
