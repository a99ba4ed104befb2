import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MASKLOOP_APPLICATION_ID } from '../../src-main/store/database.js';
import { Project } from '../../src-main/store/project.js';
import { closeAtEnd, tempFolder, tempProject } from './temp-project.js';

function rawPragma(file: string, name: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}

test('a new project file is a WAL database with foreign keys, full sync, the MaskLoop id and the latest schema', () => {
  const { project, file } = tempProject();
  assert.equal(project.name, 'Test project');
  assert.equal(rawPragma(file, 'journal_mode'), 'wal');
  assert.equal(rawPragma(file, 'application_id'), MASKLOOP_APPLICATION_ID);
  assert.equal(rawPragma(file, 'user_version'), LATEST_SCHEMA_VERSION);
  assert.deepEqual(project.checkIntegrity(), ['ok']);
  // Connection-level pragmas are checked on a connection opened the way the project opens one.
  const reopened = closeAtEnd(Project.open(file));
  assert.equal(reopened.name, 'Test project');
});

test('every table is STRICT', () => {
  const { file } = tempProject();
  const db = new Database(file, { readonly: true });
  const tables = db.prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'").all() as {
    name: string;
    strict: number;
  }[];
  db.close();
  assert.deepEqual(
    tables.map((t) => t.name).sort(),
    ['annotation_prompts', 'annotations', 'categories', 'embed_queue', 'embeddings', 'history', 'images', 'models', 'project', 'training_runs'],
  );
  assert.ok(tables.every((t) => t.strict === 1), JSON.stringify(tables));
});

test('creating over an existing file is refused and leaves no staging file', () => {
  const folder = tempFolder();
  const file = path.join(folder, 'taken.maskloop');
  fs.writeFileSync(file, 'mine');
  assert.throws(() => Project.create(file, 'x'), { code: 'PROJECT', message: /already exists/ });
  assert.equal(fs.readFileSync(file, 'utf8'), 'mine');
  assert.deepEqual(fs.readdirSync(folder), ['taken.maskloop']);
});

test('an empty project name is refused', () => {
  const folder = tempFolder();
  assert.throws(() => Project.create(path.join(folder, 'p.maskloop'), '  '), { code: 'INVALID_ARGUMENT' });
  assert.deepEqual(fs.readdirSync(folder), []);
});

test('opening a file that does not exist says so', () => {
  const folder = tempFolder();
  assert.throws(() => Project.open(path.join(folder, 'nope.maskloop')), { code: 'FILE_NOT_FOUND', message: /does not exist/ });
});

test('a file that is not SQLite is refused with a clear message', () => {
  const file = path.join(tempFolder(), 'notes.maskloop');
  fs.writeFileSync(file, 'These are my notes, not a database. '.repeat(200));
  assert.throws(() => Project.open(file), {
    code: 'PROJECT',
    message: /is not a MaskLoop project \(it is not an SQLite database file\)/,
  });
});

test('an SQLite database that MaskLoop did not make is refused and left unchanged', () => {
  const file = path.join(tempFolder(), 'other.db');
  const db = new Database(file);
  db.exec('CREATE TABLE t (x INTEGER)');
  db.close();
  const before = fs.readFileSync(file);
  assert.throws(() => Project.open(file), { code: 'PROJECT', message: /SQLite database, but not one MaskLoop made/ });
  assert.deepEqual(fs.readFileSync(file), before);
});

test('a project made by a newer MaskLoop is refused without changing the file', () => {
  const { project, file } = tempProject();
  project.close();
  const db = new Database(file);
  db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  db.close();
  const before = fs.readFileSync(file);
  assert.throws(() => Project.open(file), {
    code: 'PROJECT',
    message: new RegExp(`made by a newer MaskLoop \\(project schema ${LATEST_SCHEMA_VERSION + 1}.*Update MaskLoop to open it`),
  });
  assert.deepEqual(fs.readFileSync(file), before);
});

test('project settings have defaults, can be changed, and keep keys this version does not know', () => {
  const { project, file } = tempProject();
  assert.equal(project.settings().embeddingCacheBudgetBytes, 2 * 1024 ** 3);
  project.updateSettings({ embeddingCacheBudgetBytes: 1000 });
  assert.throws(() => project.updateSettings({ embeddingCacheBudgetBytes: -1 }), { code: 'INVALID_ARGUMENT' });
  project.close();
  const db = new Database(file);
  db.prepare("UPDATE project SET settings = json_set(settings, '$.futureSetting', 'kept')").run();
  db.close();
  const reopened = closeAtEnd(Project.open(file));
  reopened.updateSettings({ embeddingCacheBudgetBytes: 2000 });
  assert.deepEqual(reopened.settings(), { embeddingCacheBudgetBytes: 2000, futureSetting: 'kept' });
});
