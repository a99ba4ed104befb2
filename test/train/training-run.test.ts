// The training worker's job run in-process: damaged embeddings found there are skipped with a message; a stop request ends it.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { loadRgbImage } from '../../src-main/sam/image-io.js';
import { SamModel } from '../../src-main/sam/sam-model.js';
import { SAM_EMBEDDING_SHAPE } from '../../src-main/store/embed-queue.js';
import type { Project } from '../../src-main/store/project.js';
import { automaticSettings } from '../../src-main/train/auto-settings.js';
import { splitHeldOut } from '../../src-main/train/held-out-split.js';
import { collectTrainingAnnotations } from '../../src-main/train/samples.js';
import { runTrainingJob } from '../../src-main/train/training-run.js';
import { STOP_REQUESTED, type TrainingJob, type WorkerMessage } from '../../src-main/train/training-job.js';
import { addStampPages } from '../support/synthetic-stamps.js';
import { tempFolder, tempProject } from '../store/temp-project.js';
import { checkpointPath } from '../support/sam-reference.js';

process.env.MASKLOOP_CACHE_DIR = tempFolder();
let model: SamModel;
before(async () => {
  model = await SamModel.load({ checkpoint: checkpointPath });
});

/** A project of `count` embedded stamp pages and the job the fine-tuner would hand its worker. */
async function embeddedProject(count: number): Promise<{ project: Project; job: TrainingJob }> {
  const { project, folder } = tempProject();
  for (const page of await addStampPages(project, folder, count, 800, { width: 256, height: 192 })) {
    const image = project.images.require(page.imageId);
    project.embeddings.put(image.contentHash, model.id, (await model.embed(await loadRgbImage(page.file))).data, SAM_EMBEDDING_SHAPE);
  }
  const split = splitHeldOut(collectTrainingAnnotations(project).usable, 3);
  const job: TrainingJob = {
    projectFile: project.file,
    encoderId: model.id,
    checkpoint: checkpointPath,
    startVersionId: null,
    train: split.train,
    heldOut: split.heldOut,
    settings: automaticSettings(split.train.length, { steps: 1, headsOnly: true }),
    engine: 'wasm',
    stopFlag: new SharedArrayBuffer(4),
  };
  return { project, job };
}

async function run(job: TrainingJob): Promise<WorkerMessage[]> {
  const messages: WorkerMessage[] = [];
  await runTrainingJob(job, (message) => messages.push(message));
  return messages;
}

test('an embedding damaged after the fine-tuner checked it is removed and its masks left out, with a message', async () => {
  const { project, job } = await embeddedProject(6);
  const damaged = job.train[0];
  const db = new Database(project.file);
  db.prepare("UPDATE embeddings SET shape = '[1,256,64]' WHERE image_hash = ?").run(damaged.imageHash);
  db.close();
  const messages = await run(job);
  const notice = messages.find((m) => m.type === 'notice');
  assert.match(notice?.type === 'notice' ? notice.message : '', new RegExp(`embedding of image ${damaged.imageId} was damaged .* left out of this fine-tune`));
  const finished = messages.at(-1)!;
  assert.equal(finished.type, 'finished');
  if (finished.type !== 'finished') return;
  assert.deepEqual(finished.skippedAnnotationIds, [damaged.annotationId]);
  assert.equal(finished.heldOut.result.annotations, job.heldOut.length);
  assert.ok(finished.weights.byteLength > 4_000_000);
  assert.equal(project.embeddings.read(damaged.imageHash, model.id).kind, 'miss', 'the damaged row is gone, to be embedded again');
  assert.deepEqual(messages.filter((m) => m.type === 'stage').map((m) => (m.type === 'stage' ? m.stage : '')), ['loading', 'evaluating', 'training', 'evaluating']);
});

test('a stop request ends the job with "stopped" before any training step', async () => {
  const { job } = await embeddedProject(5);
  Atomics.store(new Int32Array(job.stopFlag), 0, STOP_REQUESTED);
  const messages = await run(job);
  assert.equal(messages.at(-1)?.type, 'stopped');
  assert.ok(!messages.some((m) => m.type === 'progress'));
});

test('when the embeddings are gone the job fails with a message saying what happened', async () => {
  const { project, job } = await embeddedProject(5);
  for (const annotation of job.train) project.embeddings.delete(annotation.imageHash, model.id);
  const messages = await run(job);
  const failed = messages.at(-1)!;
  assert.equal(failed.type, 'failed');
  assert.match(failed.type === 'failed' ? failed.message : '', new RegExp(`Only ${job.heldOut.length} of 5 masks have a readable cached embedding .* train again`));
});
