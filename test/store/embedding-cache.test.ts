import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { LRU_TOUCH_INTERVAL_MS } from '../../src-main/store/embedding-cache.js';
import { Project } from '../../src-main/store/project.js';
import { closeAtEnd, insertImage, tempProject, testClock } from './temp-project.js';

const SHAPE = [1, 4, 8, 8];
const ELEMENTS = 256;
const BLOB_BYTES = ELEMENTS * 2;

function embedding(seed: number): Float32Array {
  return Float32Array.from({ length: ELEMENTS }, (_, i) => Math.sin(seed * 1000 + i) * 3);
}

test('an embedding comes back as float32 within float16 precision, with its shape', () => {
  const { project } = tempProject();
  const image = insertImage(project, 1);
  const original = embedding(1);
  project.embeddings.put(image.contentHash, 'vit_b:abc', original, SHAPE);
  const read = project.embeddings.read(image.contentHash, 'vit_b:abc');
  assert.equal(read.kind, 'hit');
  if (read.kind !== 'hit') return;
  assert.deepEqual(read.shape, SHAPE);
  assert.equal(read.embedding.length, ELEMENTS);
  for (let i = 0; i < ELEMENTS; i++) assert.ok(Math.abs(read.embedding[i] - original[i]) <= Math.abs(original[i]) * 2 ** -11 + 1e-7);
  assert.equal(project.embeddings.get(image.contentHash, 'vit_h:other'), undefined);
  assert.deepEqual(project.embeddings.totals(), { bytes: BLOB_BYTES, count: 1 });
  assert.equal(project.images.require(image.id).status, 'ready');
});

test('an embedding can be read into an array the caller reuses', () => {
  const { project } = tempProject();
  const image = insertImage(project, 1);
  project.embeddings.put(image.contentHash, 'enc', embedding(1), SHAPE);
  const into = new Float32Array(ELEMENTS);
  assert.equal(project.embeddings.get(image.contentHash, 'enc', into), into);
  assert.deepEqual(into, project.embeddings.get(image.contentHash, 'enc'));
  assert.throws(() => project.embeddings.get(image.contentHash, 'enc', new Float32Array(3)), { code: 'INVALID_ARGUMENT' });
});

test('an embedding whose length does not match its shape is refused', () => {
  const { project } = tempProject();
  assert.throws(() => project.embeddings.put('a'.repeat(64), 'enc', new Float32Array(10), SHAPE), { code: 'INVALID_ARGUMENT' });
});

test('over budget, the least recently used embeddings are evicted first', () => {
  const clock = testClock();
  const { project } = tempProject(clock);
  project.updateSettings({ embeddingCacheBudgetBytes: 3 * BLOB_BYTES });
  const images = [1, 2, 3, 4].map((seed) => insertImage(project, seed));
  for (const image of images.slice(0, 3)) {
    project.embeddings.put(image.contentHash, 'enc', embedding(image.id), SHAPE);
    clock.advance(LRU_TOUCH_INTERVAL_MS);
  }
  // Reading the oldest makes it the most recently used.
  assert.ok(project.embeddings.get(images[0].contentHash, 'enc'));
  clock.advance(LRU_TOUCH_INTERVAL_MS);
  assert.deepEqual(project.embeddings.put(images[3].contentHash, 'enc', embedding(4), SHAPE), { evicted: 1 });
  const cached = images.map((image) => project.embeddings.has(image.contentHash, 'enc'));
  assert.deepEqual(cached, [true, false, true, true]);
  assert.equal(project.images.require(images[1].id).status, 'new');

  project.updateSettings({ embeddingCacheBudgetBytes: BLOB_BYTES });
  assert.deepEqual(
    images.map((image) => project.embeddings.has(image.contentHash, 'enc')),
    [false, false, false, true],
  );
});

test('an embedding bigger than the whole budget is still kept, alone', () => {
  const { project } = tempProject();
  project.updateSettings({ embeddingCacheBudgetBytes: 10 });
  const [a, b] = [insertImage(project, 1), insertImage(project, 2)];
  project.embeddings.put(a.contentHash, 'enc', embedding(1), SHAPE);
  assert.deepEqual(project.embeddings.put(b.contentHash, 'enc', embedding(2), SHAPE), { evicted: 1 });
  assert.deepEqual(project.embeddings.totals(), { bytes: BLOB_BYTES, count: 1 });
});

test('a damaged blob is reported, removed, and the image needs embedding again', () => {
  const { project, file } = tempProject();
  const image = insertImage(project, 1);
  project.embeddings.put(image.contentHash, 'enc', embedding(1), SHAPE);
  project.close();
  const db = new Database(file);
  db.prepare('UPDATE embeddings SET data = substr(data, 1, 100)').run();
  db.close();

  const reports: string[] = [];
  const reopened = closeAtEnd(Project.open(file, { onCorruptEmbedding: (hash, encoder, problem) => reports.push(`${hash.slice(-4)} ${encoder}: ${problem}`) }));
  const read = reopened.embeddings.read(image.contentHash, 'enc');
  assert.deepEqual(read, { kind: 'corrupt', problem: `its blob has 100 bytes (recorded ${BLOB_BYTES}), but shape [1, 4, 8, 8] in float16 needs ${BLOB_BYTES}` });
  assert.deepEqual(reports, [`0001 enc: ${read.kind === 'corrupt' ? read.problem : ''}`]);
  assert.equal(reopened.embeddings.has(image.contentHash, 'enc'), false);
  assert.equal(reopened.embeddings.get(image.contentHash, 'enc'), undefined);
  assert.equal(reopened.images.require(image.id).status, 'new');
  assert.equal(reopened.embedJobs.enqueueMissing('enc'), 1);
});
