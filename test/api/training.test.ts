// Fine-tuning through the real service over the WebSocket, with the fixture SAM model and generated stamp pages:
// refusal without annotations, a short run with progress and held-out IoU, cancel, decoder versions swapped into
// the running model (activate, roll back), automatic mode.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiCallError } from '../../src-main/api/client.js';
import type { EventName, MaskLoopEvents, ModelActivated, TrainingFinished, TrainingProgress } from '../../src-main/api/contract.js';
import { TRAINING_SETTING } from '../../src-main/api/fine-tuning.js';
import type { MaskLoopService } from '../../src-main/api/service.js';
import { Project } from '../../src-main/store/project.js';
import { addStampPages, type StampProjectPage } from '../support/synthetic-stamps.js';
import { connectWebSocket, createTestService, tempDir, tinyCheckpoint, type Connected } from './harness.js';

const PAGE = { width: 256, height: 192 };
/** Few steps with a large learning rate: the runs stay short and still move the decoder visibly. */
const QUICK_TRAINING = { steps: 3, headsOnly: true, learningRate: 1e-2 };

describe('fine-tuning through the service', () => {
  let dir: string;
  let service: MaskLoopService;
  let connection: Connected;
  let stampProject: string;
  let pages: StampProjectPage[];

  before(async () => {
    dir = tempDir('training');
    stampProject = path.join(dir, 'stamps.maskloop');
    const project = Project.create(stampProject, 'stamps');
    try {
      pages = await addStampPages(project, dir, 6, 900, PAGE);
      project.updateSettings({ [TRAINING_SETTING]: QUICK_TRAINING });
    } finally {
      project.close();
    }
    service = createTestService(path.join(dir, 'data'));
    connection = await connectWebSocket(service);
    await connection.client.models.addCheckpoint({ path: tinyCheckpoint });
  });
  after(async () => {
    await connection.close();
    await service.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Collects one event's payloads until the returned stop() is called. */
  function record<E extends EventName>(event: E): { seen: MaskLoopEvents[E][]; stop: () => void } {
    const seen: MaskLoopEvents[E][] = [];
    return { seen, stop: connection.client.on(event, (payload) => seen.push(payload)) };
  }

  function nextEvent<E extends EventName>(event: E): Promise<MaskLoopEvents[E]> {
    return new Promise((resolve) => {
      const stop = connection.client.on(event, (payload) => {
        stop();
        resolve(payload);
      });
    });
  }

  async function predictCentre(through = connection): Promise<{ counts: string; iou: number }> {
    const { imageId, page } = pages[0];
    const [stamp] = page.stamps;
    let sumX = 0;
    let sumY = 0;
    let area = 0;
    for (let i = 0; i < stamp.mask.length; i++) {
      if (!stamp.mask[i]) continue;
      sumX += i % page.width;
      sumY += Math.floor(i / page.width);
      area++;
    }
    const prediction = await through.client.sam.predict({ imageId, points: [{ x: sumX / area, y: sumY / area, label: 1 }] });
    return { counts: prediction.masks[0].counts, iou: prediction.iouPredictions[0] };
  }

  test('with no annotations, training.start answers what is needed and changes nothing', async () => {
    await connection.client.projects.create({ path: path.join(dir, 'empty.maskloop') });
    const before = [await connection.client.models.list(), await connection.client.training.status()];
    const finished = record('training.finished');
    const error = await connection.client.training.start({}).catch((e: unknown) => e);
    assert.ok(error instanceof ApiCallError);
    assert.equal(error.code, 'TRAINING');
    assert.match(error.message, /at least 5 accepted masks.*has 0 usable masks on 0 images/);
    assert.deepEqual([await connection.client.models.list(), await connection.client.training.status()], before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    finished.stop();
    assert.deepEqual(finished.seen, [], 'a refused start is answered, not announced');
  });

  test('a short fine-tune sends progress in order, then held-out IoU before/after and the new version', async () => {
    await connection.client.projects.open({ path: stampProject });
    assert.equal((await connection.client.training.status()).correctionsSinceLastFineTune, 6);
    const progress = record('training.progress');
    const finishing = nextEvent('training.finished');
    const started = await connection.client.training.start({});
    assert.equal(started.state, 'running');
    const finished = await finishing;
    progress.stop();

    assert.equal(finished.outcome, 'completed', String(finished.message));
    assert.deepEqual(progress.seen.map((p) => p.step), [1, 2, 3]);
    assert.ok(progress.seen.every((p: TrainingProgress) => p.totalSteps === 3 && Number.isFinite(p.loss) && p.samplesPerSecond > 0));
    for (const iou of [finished.heldOutIoUBefore, finished.heldOutIoUAfter]) assert.ok(typeof iou === 'number' && iou >= 0 && iou <= 1, `IoU ${iou}`);
    assert.equal(typeof finished.versionId, 'number');

    const status = await connection.client.training.status();
    assert.deepEqual([status.state, status.progress, status.correctionsSinceLastFineTune, status.engine], ['idle', null, 0, 'wasm']);
    assert.equal((await connection.client.app.info()).trainingEngine, 'wasm');
    const models = await connection.client.models.list();
    assert.deepEqual(models.decoderVersions.map((v) => v.id), [finished.versionId]);
    assert.equal(models.decoderVersions[0].heldOutIoU, finished.heldOutIoUAfter);
    assert.equal(models.activeDecoderVersionId, finished.activated ? finished.versionId : null);
  });

  test('activating a version and rolling back swap the running decoder and announce it', async () => {
    const [version] = (await connection.client.models.list()).decoderVersions;
    const activations = record('model.activated');

    const toBase = await connection.client.models.activateDecoder({ versionId: null });
    assert.equal(toBase.activeDecoderVersionId, null);
    const withBase = await predictCentre();

    const toVersion = await connection.client.models.activateDecoder({ versionId: version.id });
    assert.equal(toVersion.activeDecoderVersionId, version.id);
    const withVersion = await predictCentre();
    assert.notDeepEqual(withVersion, withBase, 'the fine-tuned decoder answers differently');

    const fresh = createTestService(path.join(dir, 'data-fresh'));
    try {
      const freshClient = await connectWebSocket(fresh);
      await freshClient.client.models.addCheckpoint({ path: tinyCheckpoint });
      await freshClient.client.projects.open({ path: stampProject });
      assert.deepEqual(await predictCentre(freshClient), withVersion, 'a project opened later predicts with its active version');
      await freshClient.close();
    } finally {
      await fresh.close();
    }

    const rolledBack = await connection.client.models.rollback();
    assert.equal(rolledBack.activeDecoderVersionId, null, "the first version's parent is the checkpoint's decoder");
    assert.deepEqual(await predictCentre(), withBase);
    activations.stop();
    assert.deepEqual(activations.seen.map((a: ModelActivated) => a.decoderVersionId), [null, version.id, null]);

    const error = await connection.client.models.rollback().catch((e: unknown) => e);
    assert.ok(error instanceof ApiCallError && error.code === 'NOT_FOUND' && /already in use/.test(error.message));
  });

  test('training.cancel during a run ends it with nothing stored', async () => {
    const before = await connection.client.models.list();
    const finishing = nextEvent('training.finished');
    const cancelled = new Promise<void>((resolve) => {
      const stop = connection.client.on('training.progress', () => {
        stop();
        void connection.client.training.cancel().then((status) => {
          assert.equal(status.state, 'idle');
          resolve();
        });
      });
    });
    await connection.client.training.start({});
    await cancelled;
    const finished: TrainingFinished = await finishing;
    assert.deepEqual(finished, { outcome: 'cancelled', heldOutIoUBefore: null, heldOutIoUAfter: null, versionId: null, activated: false, message: null });
    assert.deepEqual(await connection.client.models.list(), before);
    assert.equal((await connection.client.training.status()).correctionsSinceLastFineTune, 0);
  });

  test('automatic mode starts a fine-tune after N corrections', async () => {
    const status = await connection.client.training.setAutomatic({ enabled: true, everyN: 2 });
    assert.deepEqual([status.automatic, status.state], [{ enabled: true, everyN: 2 }, 'idle']);
    const other = await connection.client.categories.create({ name: 'seal' });
    const [first] = await connection.client.annotations.list({ imageId: pages[0].imageId });
    const [second] = await connection.client.annotations.list({ imageId: pages[1].imageId });
    const finishing = nextEvent('training.finished');
    await connection.client.annotations.update({ annotationId: first.id, categoryId: other.id });
    assert.equal((await connection.client.training.status()).state, 'idle', 'one correction is not enough');
    await connection.client.annotations.update({ annotationId: second.id, categoryId: other.id });
    assert.equal((await connection.client.training.status()).state, 'running');
    const finished = await finishing;
    assert.equal(finished.outcome, 'completed', String(finished.message));
    assert.equal((await connection.client.models.list()).decoderVersions.length, 2);
    await connection.client.training.setAutomatic({ enabled: false });
    assert.deepEqual((await connection.client.training.status()).automatic, { enabled: false, everyN: 2 });
  });
});
