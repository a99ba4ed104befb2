import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Project } from '../../src-main/store/project.js';
import { closeAtEnd, insertImage, tempProject } from './temp-project.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ACKNOWLEDGED_BEFORE_KILL = 150;

test('a writer killed with SIGKILL mid-stream leaves an intact file holding every acknowledged annotation', async () => {
  const { project, file } = tempProject();
  const image = insertImage(project, 1);
  const category = project.categories.create({ name: 'stamp' });
  project.close();

  const child = spawn(process.execPath, ['--import', 'tsx', 'test/store/crash-writer.ts', file, String(image.id), String(category.id)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
    if (output.split('\n').length > ACKNOWLEDGED_BEFORE_KILL) child.kill('SIGKILL');
  });
  assert.equal(await exited, 'SIGKILL', `the writer stopped by itself: ${errors}`);

  const acknowledged = output.split('\n').filter((line) => /^\d+$/.test(line)).map(Number);
  assert.ok(acknowledged.length >= ACKNOWLEDGED_BEFORE_KILL, `only ${acknowledged.length} ids were acknowledged`);

  const reopened = closeAtEnd(Project.open(file));
  assert.deepEqual(reopened.checkIntegrity(), ['ok']);
  const stored = new Set(reopened.annotations.listByImage(image.id).map((a) => a.id));
  assert.deepEqual(acknowledged.filter((id) => !stored.has(id)), []);
  for (const id of acknowledged.slice(-3)) {
    assert.deepEqual(reopened.annotations.prompts(id), [{ kind: 'point', x: 1, y: 1, label: 1 }]);
  }
  // Each annotation's history row is in the same transaction, so they match one for one.
  assert.equal(reopened.history.latestId(), stored.size);
});
