// The project's own record: name, creation time and settings (JSON, defaults filled in on read).
import { z } from 'zod';
import { MaskLoopError } from '../errors.js';
import type { SqliteDatabase } from './database.js';
import { parseJsonColumn } from './json-columns.js';

const GIB = 1024 ** 3;

/** Unknown keys survive a round trip, so a setting written by a newer MaskLoop is not lost by an older one. */
export const projectSettingsSchema = z.looseObject({
  /** Cached embeddings beyond this many bytes are evicted, least recently used first. */
  embeddingCacheBudgetBytes: z.number().int().positive().default(2 * GIB),
});

export type ProjectSettings = z.output<typeof projectSettingsSchema>;

interface ProjectRow {
  name: string;
  created_at: number;
  settings: string;
}

export class ProjectMetaRepository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare<[string, number, string]>('INSERT INTO project (id, name, created_at, settings) VALUES (1, ?, ?, ?)'),
      select: db.prepare<[], ProjectRow>('SELECT name, created_at, settings FROM project WHERE id = 1'),
      rename: db.prepare<[string]>('UPDATE project SET name = ? WHERE id = 1'),
      writeSettings: db.prepare<[string]>('UPDATE project SET settings = ? WHERE id = 1'),
    };
  }

  initialise(name: string, createdAt: number): void {
    this.statements.insert.run(checkName(name), createdAt, JSON.stringify(projectSettingsSchema.parse({})));
  }

  get name(): string {
    return this.row().name;
  }

  get createdAt(): number {
    return this.row().created_at;
  }

  rename(name: string): void {
    this.statements.rename.run(checkName(name));
  }

  settings(): ProjectSettings {
    return parseJsonColumn(projectSettingsSchema, this.row().settings, 'project settings');
  }

  updateSettings(patch: Partial<ProjectSettings>): ProjectSettings {
    const merged = projectSettingsSchema.safeParse({ ...this.settings(), ...patch });
    if (!merged.success) {
      throw new MaskLoopError('INVALID_ARGUMENT', `Those project settings are not valid: ${merged.error.message}`);
    }
    this.statements.writeSettings.run(JSON.stringify(merged.data));
    return merged.data;
  }

  private row(): ProjectRow {
    const row = this.statements.select.get();
    if (!row) {
      throw new MaskLoopError('PROJECT', 'The project file has no project record; its creation was interrupted. Create the project again.');
    }
    return row;
  }
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new MaskLoopError('INVALID_ARGUMENT', 'A project needs a name that is not empty.');
  return trimmed;
}
