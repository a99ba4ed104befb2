// Opens and creates project files: SQLite pragmas, the MaskLoop file marker, and schema migrations by user_version.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { MaskLoopError } from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export type SqliteDatabase = Database.Database;

/** `PRAGMA application_id` of every MaskLoop project: the bytes "MLop". */
export const MASKLOOP_APPLICATION_ID = 0x4d4c6f70;

/** Migrations are numbered 1..N without gaps; the newest number is the schema this code writes. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

const BUSY_TIMEOUT_MS = 5000;
/**
 * The largest SQLite page: a cached 1x256x64x64 float16 embedding (2 MiB) then spans 32 overflow
 * pages instead of 512. Measured here, reading one went from 30-40 ms (4 KiB pages) to 0.3 ms;
 * an annotation commit costs the same (the fsync dominates). Fixed when the file is created.
 */
const PAGE_SIZE_BYTES = 65536;
/** The WAL file is truncated back to this size after a checkpoint, so embedding blobs do not leave it huge. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * WAL with synchronous=FULL: a commit returns only after the WAL is fsynced, so an acknowledged
 * write survives a killed process and also a power cut (NORMAL would survive the first only).
 * A commit costs ~2 ms here, which annotation writes at human speed do not notice.
 */
function applyConnectionPragmas(db: SqliteDatabase): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
}

function readPragmaNumber(db: SqliteDatabase, name: string): number {
  return db.pragma(name, { simple: true }) as number;
}

/** Applies, in order, each migration whose version is above the file's user_version; one transaction each. */
export function applyMigrations(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration ${migration.name} has version ${migration.version}, expected ${index + 1}`);
    }
  });
  const from = readPragmaNumber(db, 'user_version');
  for (const migration of migrations.slice(from)) {
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}

function notAProject(file: string, why: string, cause?: unknown): MaskLoopError {
  return new MaskLoopError(
    'PROJECT',
    `${file} is not a MaskLoop project (${why}). Open a project file made by MaskLoop, or create a new project.`,
    { cause },
  );
}

/** Reads the header fields that tell a MaskLoop project apart, turning "not a database" into a clear error. */
function readFileIdentity(db: SqliteDatabase, file: string): { applicationId: number; userVersion: number } {
  try {
    return { applicationId: readPragmaNumber(db, 'application_id'), userVersion: readPragmaNumber(db, 'user_version') };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw notAProject(file, 'it is not an SQLite database file', error);
    throw error;
  }
}

function checkIdentity(file: string, identity: { applicationId: number; userVersion: number }): void {
  if (identity.applicationId !== MASKLOOP_APPLICATION_ID) {
    throw notAProject(file, 'it is an SQLite database, but not one MaskLoop made');
  }
  if (identity.userVersion > LATEST_SCHEMA_VERSION) {
    throw new MaskLoopError(
      'PROJECT',
      `${file} was made by a newer MaskLoop (project schema ${identity.userVersion}; this MaskLoop reads up to ${LATEST_SCHEMA_VERSION}). Update MaskLoop to open it; the file was not changed.`,
    );
  }
}

/**
 * Opens an existing project file and brings its schema up to date. The file is checked before
 * anything is written to it, so a newer or foreign file is left exactly as it was.
 */
export function openProjectDatabase(file: string): SqliteDatabase {
  if (!fs.existsSync(file)) {
    throw new MaskLoopError('FILE_NOT_FOUND', `Project file ${file} does not exist. Check the path, or create a new project.`);
  }
  if (fs.statSync(file).isDirectory()) throw notAProject(file, 'it is a folder');
  const db = new Database(file, { fileMustExist: true });
  try {
    checkIdentity(file, readFileIdentity(db, file));
    applyConnectionPragmas(db);
    applyMigrations(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Creates a new, empty project file with the current schema; `file` must not exist yet. */
export function createProjectDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDatabase {
  if (fs.existsSync(file)) {
    throw new MaskLoopError('PROJECT', `${file} already exists. Choose another name, or open it as a project.`);
  }
  const db = new Database(file);
  try {
    db.pragma(`page_size = ${PAGE_SIZE_BYTES}`);
    db.pragma(`application_id = ${MASKLOOP_APPLICATION_ID}`);
    applyConnectionPragmas(db);
    applyMigrations(db, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
