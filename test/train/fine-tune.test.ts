// The fine-tuner on real projects with the fixture model: refusals that change nothing, cancel, a damaged embedding,
// versions stored, activation only when better (or forced), swapped into the running model, rollback, automatic mode.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { MaskLoopError } from '../../src-main/errors.js';
import { loadRgbImage } from '../../src-main/sam/image-io.js';
import { writeRandomCheckpoint } from '../../src-main/sam/random-checkpoint.js';
import { SamModel, type ImageEmbedding } from '../../src-main/sam/sam-model.js';
import type { Project } from '../../src-main/store/project.js';
import { AutoFineTune } from '../../src-main/train/auto-fine-tune.js';
import { activateDecoder, listDecoderVersions } from '../../src-main/train/decoder-versions.js';
import { startFineTune, type FineTuneEvent, type FineTuneOptions } from '../../src-main/train/fine-tune.js';
import { storedSplitSeed } from '../../src-main/train/held-out-split.js';
import { addStampPages, type StampProjectPage } from '../support/synthetic-stamps.js';
import { tempFolder, tempProject } from '../store/temp-project.js';
import { checkpointPath } from '../support/sam-reference.js';

process.env.MASKLOOP_CACHE_DIR = tempFolder();
const checkpoint = checkpointPath;
/** Few, cheap steps: these tests are about what is stored, not about learning (learning.test.ts is). */
const QUICK: FineTuneOptions = { checkpoint, steps: 1, headsOnly: true, learningRate: 1e-3, engine: 'wasm' };
const PAGE = { width: 256, height: 192 };
let model: SamModel;

before(async () => {
  model = await SamModel.load({ checkpoint });
});

/** A project with `pages` stamp pages (one accepted stamp mask each); embeddings are made by the fine-tuner. */
async function stampProject(pages: number, seed = 500): Promise<{ project: Project; pages: StampProjectPage[] }> {
  const { project, folder } = tempProject();
  return { project, pages: await addStampPages(project, folder, pages, seed, PAGE) };
}

/** Everything a fine-tune could change, except the log of training runs. */
function projectState(project: Project) {
  return {
    annotations: [...project.annotations.iterateLive()],
    models: [...project.models.list('checkpoint'), ...project.models.list('decoder')],
    settings: project.settings(),
  };
}

function refusal(code: MaskLoopError['code'], pattern: RegExp) {
  return (error: unknown) => error instanceof MaskLoopError && error.code === code && pattern.test(error.message);
}

test('with no annotations, and with one, training is refused with what is needed, and the project is left as it was', async () => {
  const { project } = await stampProject(0);
  const empty = projectState(project);
  await assert.rejects(startFineTune(project, model, QUICK).done, refusal('TRAINING', /at least 5 accepted masks.*has 0 usable masks on 0 images/));
  assert.deepEqual(projectState(project), empty);

  const { project: single } = await stampProject(1);
  const before = projectState(single);
  await assert.rejects(startFineTune(single, model, QUICK).done, refusal('TRAINING', /has 1 usable mask on 1 image\. Accept 4 more masks, on at least 2 images in all/));
  assert.deepEqual(projectState(single), before);
  assert.equal(single.trainingRuns.listRecent().length, 0);
});

test('a checkpoint other than the running model, or a decoder in use made for another encoder, is refused and changes nothing', async () => {
  const { project } = await stampProject(5);
  const other = path.join(tempFolder(), 'other_sam.pth');
  writeRandomCheckpoint(other, model.config!, 5);
  const before = projectState(project);
  await assert.rejects(startFineTune(project, model, { ...QUICK, checkpoint: other }).done, refusal('MODEL_MISMATCH', /other_sam\.pth is not the checkpoint/));

  const foreign = project.models.addDecoder({ name: 'from vit_h', weights: Uint8Array.of(0), parentId: null, metrics: { encoderId: 'vit_h:0123456789abcdef' } });
  project.models.activate(foreign.id);
  const withForeign = projectState(project);
  await assert.rejects(startFineTune(project, model, QUICK).done, refusal('MODEL_MISMATCH', /fine-tuned for the image encoder vit_h:0123456789abcdef.*--activate base/));
  assert.deepEqual(projectState(project), withForeign);
  assert.equal(project.trainingRuns.listRecent().length, 0);
  project.models.deactivate('decoder');
  assert.equal(before.models.length, 0);
});

test('cancel stops within one training step: no version, decoder in use and settings unchanged, the run logged as cancelled', async () => {
  const { project } = await stampProject(5, 510);
  const before = projectState(project);
  const events: FineTuneEvent[] = [];
  let cancelledAt: number | undefined;
  const handle = startFineTune(project, model, { ...QUICK, steps: 40 }, (event) => {
    events.push(event);
    if (event.type === 'progress' && cancelledAt === undefined) {
      cancelledAt = event.progress.step;
      handle.cancel();
    }
  });
  const result = await handle.done;
  assert.equal(result.outcome, 'cancelled');
  assert.equal(result.versionId, null);
  const steps = events.flatMap((event) => (event.type === 'progress' ? [event.progress.step] : []));
  assert.ok(Math.max(...steps) <= cancelledAt! + 1, `steps after cancel: ${steps.join(',')}`);
  assert.deepEqual(projectState(project), before);
  assert.equal(storedSplitSeed(project), undefined);
  assert.deepEqual(project.trainingRuns.listRecent().map((run) => run.status), ['cancelled']);
  assert.equal(project.correctionsSinceLastFineTune(), 5, 'a cancelled run does not count as a fine-tune');
});

test('a damaged cached embedding is embedded again with a notice; a version no better than the one in use is stored, not activated', async () => {
  const { project, pages } = await stampProject(5, 520);
  const damagedImage = project.images.require(pages[2].imageId);
  project.embeddings.put(damagedImage.contentHash, model.id, new Float32Array(256 * 64 * 64), [1, 256, 64, 64]);
  const db = new Database(project.file);
  db.prepare('UPDATE embeddings SET data = substr(data, 1, 1000) WHERE image_hash = ?').run(damagedImage.contentHash);
  db.close();

  const events: FineTuneEvent[] = [];
  // A learning rate of 0 leaves the weights as they were: the new version is exactly as good, so not better.
  const result = await startFineTune(project, model, { ...QUICK, learningRate: 0 }, (event) => events.push(event)).done;
  assert.ok(events.some((e) => e.type === 'notice' && /image \d+ was damaged .*embedding it again/.test(e.message)));
  assert.ok(events.some((e) => e.type === 'engine' && e.name === 'wasm'));
  assert.equal(project.embeddings.read(damagedImage.contentHash, model.id).kind, 'hit');
  assert.equal(result.outcome, 'completed');
  assert.equal(result.heldOutIoUAfter, result.heldOutIoUBefore);
  assert.equal(result.activated, false);
  assert.equal(project.models.active('decoder'), undefined);
  const [version] = listDecoderVersions(project);
  assert.equal(version.id, result.versionId);
  assert.equal(version.encoderId, model.id);
  assert.equal(version.heldOutIoU, result.heldOutIoUAfter);
  assert.equal(project.models.require(version.parentId!).kind, 'checkpoint');
  assert.equal(project.models.require(version.parentId!).path, path.resolve(checkpoint));
  assert.equal(project.trainingRuns.require(result.runId!).status, 'succeeded');
  assert.equal(project.trainingRuns.require(result.runId!).resultModelId, version.id);
  assert.equal(project.correctionsSinceLastFineTune(), 0);
  assert.ok(storedSplitSeed(project) !== undefined);
});

test('a forced version is swapped into the running model at once; activating the checkpoint decoder and the version again rolls back and forth', async () => {
  const { project, pages } = await stampProject(5, 530);
  const local = await SamModel.load({ checkpoint });
  const embedding: ImageEmbedding = await local.embed(await loadRgbImage(pages[0].file));
  const box = { points: [], box: [10, 10, 200, 150] as const };
  const decode = async () => (await local.decode(embedding, box, { multimask: false })).lowResLogits[0];
  const original = await decode();

  const running = startFineTune(project, local, { ...QUICK, forceActivate: true });
  await assert.rejects(startFineTune(project, local, QUICK).done, refusal('TRAINING', /already running/));
  const result = await running.done;
  assert.equal(result.activated, true);
  assert.equal(project.models.active('decoder')?.id, result.versionId);
  const tuned = await decode();
  assert.notDeepEqual(tuned, original, 'the running model decodes with the new version');

  assert.equal(await activateDecoder(project, local, null, { checkpoint }), null);
  assert.deepEqual(await decode(), original);
  assert.equal(project.models.active('decoder'), undefined);
  const again = await activateDecoder(project, local, result.versionId!, { checkpoint });
  assert.equal(again?.id, result.versionId);
  assert.deepEqual(await decode(), tuned);

  // The next fine-tune starts from the version in use and names it as its parent.
  const next = await startFineTune(project, local, { ...QUICK, forceActivate: true }).done;
  assert.equal(project.models.require(next.versionId!).parentId, result.versionId);
  assert.ok(next.heldOut!.start !== null);
  assert.deepEqual(project.models.lineage(next.versionId!).map((m) => m.kind), ['decoder', 'decoder', 'checkpoint']);
});

test('automatic mode starts a fine-tune in the background after every N new or corrected annotations', async () => {
  const { project, pages } = await stampProject(5, 540);
  const events: string[] = [];
  const auto = new AutoFineTune(project, model, QUICK, (event) => events.push(event.type), 7);
  assert.equal(auto.remaining(), 2, '5 annotations count as corrections toward 7');
  assert.equal(auto.check(), undefined);
  const [first] = project.annotations.listByImage(pages[0].imageId);
  project.annotations.update(first.id, { categoryId: first.categoryId, source: 'manual' });
  assert.equal(auto.remaining(), 1);
  assert.equal(auto.check(), undefined);
  project.annotations.update(first.id, { source: 'sam' });
  const handle = auto.check();
  assert.ok(handle, 'the 7th correction starts a fine-tune');
  assert.equal(auto.check(), undefined, 'only one at a time');
  const result = await handle.done;
  assert.equal(result.outcome, 'completed');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(auto.running, undefined);
  assert.equal(auto.remaining(), 7);
  assert.deepEqual([events[0], events.at(-1)], ['started', 'finished']);
  assert.ok(events.includes('progress'));
});
