// The ordered list of schema migrations; a migration's version is its position (1-based) and the file's user_version after it.
import type Database from 'better-sqlite3';
import { initialSchema } from './0001-initial-schema.js';
import { embeddingsModelsTraining } from './0002-embeddings-models-training.js';
import { annotationMaskFromBox } from './0003-annotation-mask-from-box.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Runs inside the migration's transaction; must not commit or change pragmas. */
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [initialSchema, embeddingsModelsTraining, annotationMaskFromBox];
