import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { EmbedQueue, type EmbedFunction, type EmbedProgress } from '../../src-main/store/embed-queue.js';
import type { ImageRecord } from '../../src-main/store/images.js';
import { Project } from '../../src-main/store/project.js';
import { annotationOn, closeAtEnd, insertImage, tempProject } from './temp-project.js';

const SHAPE = [1, 2, 2, 2];
const ENCODER = 'vit_b:test';

/** Stands in for SAM's encoder: the same path always gives the same 8 values. */
function fakeEmbedding(imagePath: string): Float32Array {
  const seed = [...path.basename(imagePath)].reduce((sum, ch) => sum + ch.charCodeAt(0), 0);
  return Float32Array.from({ length: 8 }, (_, i) => (seed % 97) / 8 + i);
}

const fakeEmbed: EmbedFunction = async (imagePath) => {
  await new Promise((resolve) => setImmediate(resolve));
  return fakeEmbedding(imagePath);
};

function setup(count: number) {
  const { project, file } = tempProject();
  const images = Array.from({ length: count }, (_, i) => insertImage(project, i + 1));
  return { project, file, images };
}

function statuses(project: Project, images: ImageRecord[]) {
  return images.map((image) => project.images.require(image.id).status);
}

test('the queue embeds every image without a cached embedding, one at a time, with progress and ETA', async () => {
  const { project, images } = setup(4);
  const category = project.categories.create({ name: 'stamp' });
  project.annotations.create(annotationOn(images[3], category.id));
  project.embeddings.put(images[0].contentHash, 'another-encoder', new Float32Array(8), SHAPE);

  const embedded: string[] = [];
  const statusWhileEmbedding: string[] = [];
  const queue = new EmbedQueue(project, {
    encoderId: ENCODER,
    embeddingShape: SHAPE,
    embed: async (imagePath, signal) => {
      embedded.push(path.basename(imagePath));
      statusWhileEmbedding.push(project.images.list().find((i) => i.absolutePath === imagePath)!.status);
      return fakeEmbed(imagePath, signal);
    },
  });
  const progress: EmbedProgress[] = [];
  queue.on('progress', (p) => progress.push(p));
  assert.equal(queue.enqueueMissing(), 4);
  assert.equal(queue.enqueueMissing(), 0);

  assert.deepEqual(await queue.run(), { done: 4, failed: 0, cancelled: false });
  assert.deepEqual(embedded, ['image-1.png', 'image-2.png', 'image-3.png', 'image-4.png']);
  assert.deepEqual(statusWhileEmbedding, ['embedding', 'embedding', 'embedding', 'labelled']);
  assert.deepEqual(statuses(project, images), ['ready', 'ready', 'ready', 'labelled']);
  assert.deepEqual(project.embeddings.get(images[2].contentHash, ENCODER), fakeEmbedding(images[2].absolutePath));
  assert.equal(queue.remaining(), 0);

  assert.deepEqual(progress[0], { done: 0, total: 4, failed: 0, currentImageId: null, etaMs: null });
  assert.deepEqual(
    progress.filter((p) => p.currentImageId !== null).map((p) => [p.done, p.currentImageId]),
    images.map((image, i) => [i, image.id]),
  );
  assert.ok(progress.every((p) => p.total === 4));
  assert.ok(progress.filter((p) => p.done > 0).every((p) => p.etaMs !== null && p.etaMs >= 0));
  assert.deepEqual(progress.at(-1), { done: 4, total: 4, failed: 0, currentImageId: null, etaMs: 0 });
});

test('images already embedded by this encoder, and missing images, are not queued', () => {
  const { project, images } = setup(3);
  project.embeddings.put(images[0].contentHash, ENCODER, new Float32Array(8), SHAPE);
  project.images.markMissing(images[1].id);
  const queue = new EmbedQueue(project, { encoderId: ENCODER, embeddingShape: SHAPE, embed: fakeEmbed });
  assert.equal(queue.enqueueMissing(), 1);
});

test('cancel stops after the current image, which goes back to the queue; the next run finishes the rest', async () => {
  const { project, images } = setup(5);
  const queue = new EmbedQueue(project, {
    encoderId: ENCODER,
    embeddingShape: SHAPE,
    embed: (imagePath, signal) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(fakeEmbedding(imagePath)), 5);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('aborted'));
        });
      }),
  });
  queue.on('progress', (p) => {
    if (p.done === 2 && p.currentImageId !== null) queue.cancel();
  });
  queue.enqueueMissing();
  assert.deepEqual(await queue.run(), { done: 2, failed: 0, cancelled: true });
  assert.equal(queue.running, false);
  assert.deepEqual(statuses(project, images), ['ready', 'ready', 'new', 'new', 'new']);
  assert.equal(queue.remaining(), 3);
  assert.deepEqual(project.embedJobs.counts(ENCODER), { pending: 3, running: 0, failed: 0 });

  queue.removeAllListeners('progress');
  assert.deepEqual(await queue.run(), { done: 3, failed: 0, cancelled: false });
  assert.deepEqual(statuses(project, images), ['ready', 'ready', 'ready', 'ready', 'ready']);
});

test('after a restart the queue resumes where the stopped process left off', async () => {
  const { project, file, images } = setup(4);
  let calls = 0;
  const stuckQueue = new EmbedQueue(project, {
    encoderId: ENCODER,
    embeddingShape: SHAPE,
    // The third image never finishes: the process "dies" while embedding it.
    embed: (imagePath) => (++calls === 3 ? new Promise<Float32Array>(() => {}) : fakeEmbed(imagePath, new AbortController().signal)),
  });
  stuckQueue.enqueueMissing();
  const stuck = new Promise<void>((resolve) => stuckQueue.on('progress', (p) => p.currentImageId === images[2].id && resolve()));
  void stuckQueue.run();
  await stuck;
  project.close();

  const reopened = closeAtEnd(Project.open(file));
  assert.deepEqual(reopened.embedJobs.counts(ENCODER), { pending: 1, running: 1, failed: 0 });
  assert.deepEqual(statuses(reopened, images), ['ready', 'ready', 'embedding', 'new']);
  const resumed = new EmbedQueue(reopened, { encoderId: ENCODER, embeddingShape: SHAPE, embed: fakeEmbed });
  const firstProgress = new Promise<EmbedProgress>((resolve) => resumed.once('progress', resolve));
  const result = resumed.run();
  assert.deepEqual(await firstProgress, { done: 0, total: 2, failed: 0, currentImageId: null, etaMs: null });
  assert.deepEqual(await result, { done: 2, failed: 0, cancelled: false });
  assert.deepEqual(statuses(reopened, images), ['ready', 'ready', 'ready', 'ready']);
});

test('a failing image is retried up to maxAttempts, reported, and left failed while the others go on', async () => {
  const { project, images } = setup(3);
  const queue = new EmbedQueue(project, {
    encoderId: ENCODER,
    embeddingShape: SHAPE,
    maxAttempts: 2,
    embed: async (imagePath, signal) => {
      if (imagePath.endsWith('image-2.png')) throw new Error('cannot decode image-2.png');
      return fakeEmbed(imagePath, signal);
    },
  });
  const failures: unknown[] = [];
  queue.on('failure', (f) => failures.push(f));
  queue.enqueueMissing();
  assert.deepEqual(await queue.run(), { done: 2, failed: 1, cancelled: false });
  assert.deepEqual(failures, [
    { imageId: images[1].id, error: 'cannot decode image-2.png', willRetry: true },
    { imageId: images[1].id, error: 'cannot decode image-2.png', willRetry: false },
  ]);
  assert.deepEqual(statuses(project, images), ['ready', 'new', 'ready']);
  assert.deepEqual(
    project.embedJobs.failed(ENCODER).map((job) => [job.imageId, job.attempts, job.lastError]),
    [[images[1].id, 2, 'cannot decode image-2.png']],
  );
  assert.equal(queue.enqueueMissing(), 1);
  assert.deepEqual(project.embedJobs.counts(ENCODER), { pending: 1, running: 0, failed: 0 });
});

test('an embedding of the wrong size counts as a failure of that image', async () => {
  const { project } = setup(1);
  const queue = new EmbedQueue(project, { encoderId: ENCODER, embeddingShape: SHAPE, maxAttempts: 1, embed: async () => new Float32Array(3) });
  queue.enqueueMissing();
  assert.deepEqual(await queue.run(), { done: 0, failed: 1, cancelled: false });
  assert.match(project.embedJobs.failed(ENCODER)[0].lastError ?? '', /does not have shape \[1, 2, 2, 2\]/);
});
