// One annotator's session through each transport, against the real store and the fixture SAM model:
// project, images, embedding queue (progress, cancel), predict, accept, undo/redo, export; bad payloads change nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiCallError } from '../../src-main/api/client.js';
import type { EmbeddingProgress, ProjectInfo } from '../../src-main/api/contract.js';
import type { MaskLoopService } from '../../src-main/api/service.js';
import { decodeMask } from '../../src-main/coco/rle.js';
import { connectIpc, connectWebSocket, createTestService, tempDir, tinyCheckpoint, writeStampImage, type Connected } from './harness.js';

const IMAGE_COUNT = 6;
const STAMP = { left: 40, top: 30, width: 50, height: 40 };

for (const connect of [connectWebSocket, connectIpc]) {
  describe(`labelling over ${connect === connectWebSocket ? 'WebSocket' : 'Electron IPC'}`, () => {
    let dir: string;
    let service: MaskLoopService;
    let connection: Connected;
    const projectChanges: (ProjectInfo | null)[] = [];

    before(async () => {
      dir = tempDir('flow');
      fs.mkdirSync(path.join(dir, 'scans'));
      for (let i = 0; i < IMAGE_COUNT; i++) await writeStampImage(path.join(dir, 'scans', `page-${i}.png`), 160, 120, { ...STAMP, left: STAMP.left + i });
      fs.writeFileSync(path.join(dir, 'scans', 'readme.txt'), 'not an image');
      service = createTestService(path.join(dir, 'data'));
      connection = await connect(service);
      connection.client.on('project.changed', (info) => projectChanges.push(info));
      await connection.client.models.addCheckpoint({ path: tinyCheckpoint });
    });
    after(async () => {
      await connection.close();
      await service.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('creates a project, adds a folder with a skip report, and announces the project', async () => {
      const info = await connection.client.projects.create({ path: path.join(dir, 'stamps.maskloop') });
      assert.equal(info.name, 'stamps');
      const report = await connection.client.images.add({ paths: [path.join(dir, 'scans')] });
      assert.equal(report.added, IMAGE_COUNT);
      assert.deepEqual(report.skipped.map((s) => path.basename(s.path)), ['readme.txt']);
      const page = await connection.client.images.list({ limit: 4 });
      assert.deepEqual([page.items.length, page.total], [4, IMAGE_COUNT]);
      assert.deepEqual(page.items[0].status, 'new');
      assert.equal(projectChanges.at(-1)?.path, info.path);
    });

    test('the embedding queue reports progress in order and stops on cancel', async () => {
      const seen: EmbeddingProgress[] = [];
      const unsubscribe = connection.client.on('embedding.progress', (progress) => {
        seen.push(progress);
        if (progress.done === 2 && progress.imageStatus !== 'embedding') void connection.client.embedding.cancelQueue();
      });
      const started = await connection.client.embedding.startQueue();
      assert.equal(started.running, true);
      while ((await connection.client.embedding.queueStatus()).running) await new Promise((resolve) => setTimeout(resolve, 20));
      unsubscribe();
      const done = seen.map((p) => p.done);
      assert.deepEqual(done, [...done].sort((a, b) => a - b), 'done only grows');
      assert.ok(seen.every((p) => p.total === IMAGE_COUNT));
      const finished = seen.filter((p) => p.imageId !== null && p.imageStatus === 'ready').map((p) => p.imageId);
      assert.ok(finished.length >= 2 && finished.length < IMAGE_COUNT, `cancel stopped the run after ${finished.length} images`);
      const ready = await connection.client.images.list({ status: 'ready' });
      assert.deepEqual(ready.items.map((i) => i.id).sort(), [...finished].sort());
    });

    test('predicts masks in original pixels as COCO RLE, with candidates and refinement', async () => {
      const [image] = (await connection.client.images.list({ status: 'new' })).items;
      assert.equal((await connection.client.embedding.status({ imageId: image.id })).state, 'missing');
      assert.equal((await connection.client.embedding.ensure({ imageId: image.id })).state, 'ready');
      const click = { x: STAMP.left + 20, y: STAMP.top + 20, label: 1 as const };
      const candidates = await connection.client.sam.predict({ imageId: image.id, points: [click], multimask: true });
      assert.equal(candidates.masks.length, 3);
      assert.equal(candidates.iouPredictions.length, 3);
      for (const mask of candidates.masks) assert.deepEqual(mask.size, [120, 160]);
      assert.equal(decodeMask(candidates.masks[0]).length, 120 * 160);
      const refined = await connection.client.sam.predict({
        imageId: image.id,
        points: [click, { x: 5, y: 5, label: 0 }],
        box: { x0: 30, y0: 20, x1: 100, y1: 80 },
        usePreviousMask: true,
        previousMaskIndex: 1,
      });
      assert.equal(refined.masks.length, 1);
      assert.ok(refined.timing.decodeMs > 0 && refined.timing.totalMs >= refined.timing.decodeMs);
    });

    test('a prompt outside the image is refused with the model\'s message', async () => {
      const [image] = (await connection.client.images.list({ limit: 1 })).items;
      const error = await connection.client.sam.predict({ imageId: image.id, points: [{ x: 500, y: 5, label: 1 }] }).catch((e: ApiCallError) => e);
      assert.ok(error instanceof ApiCallError);
      assert.equal(error.code, 'PROMPT_OUTSIDE_IMAGE');
    });

    test('accepts a mask with a category, then undo and redo it; invalid payloads change nothing', async () => {
      const [image] = (await connection.client.images.list({ limit: 1 })).items;
      const category = await connection.client.categories.create({ name: 'stamp' });
      assert.deepEqual([category.shortcut, category.color], [1, category.color.toLowerCase()]);
      const prediction = await connection.client.sam.predict({ imageId: image.id, box: { x0: 38, y0: 28, x1: 92, y1: 72 } });
      const annotation = await connection.client.annotations.create({
        imageId: image.id,
        categoryId: category.id,
        mask: prediction.masks[0],
        source: 'sam',
        iouPrediction: prediction.iouPredictions[0],
        prompts: [{ kind: 'box', x0: 38, y0: 28, x1: 92, y1: 72 }],
      });
      assert.equal(annotation.area, decodeMask(prediction.masks[0]).reduce((n, v) => n + v, 0));
      assert.equal((await connection.client.images.get({ imageId: image.id })).status, 'labelled');
      const before = await connection.client.projects.info();

      const refusals = [
        connection.client.annotations.create({ imageId: image.id, categoryId: category.id, mask: { counts: 5 as unknown as string, size: [120, 160] }, source: 'sam' }),
        connection.client.annotations.update({ annotationId: annotation.id }),
        connection.client.categories.update({ categoryId: category.id, color: 'blue' }),
        connection.client.annotations.create({ imageId: image.id, categoryId: category.id, mask: prediction.masks[0], source: 'imported' as 'sam' }),
      ];
      for (const refusal of refusals) {
        const error = await refusal.catch((e: ApiCallError) => e);
        assert.ok(error instanceof ApiCallError);
        assert.equal(error.code, 'INVALID_PAYLOAD');
      }
      assert.deepEqual(await connection.client.projects.info(), before);
      assert.deepEqual((await connection.client.categories.list()).map((c) => c.color), [category.color]);

      const undone = await connection.client.history.undo();
      assert.equal(undone.imageId, image.id);
      assert.match(String(undone.description), /annotation/);
      assert.deepEqual(await connection.client.annotations.list({ imageId: image.id }), []);
      const redone = await connection.client.history.redo();
      assert.equal(redone.canRedo, false);
      assert.deepEqual((await connection.client.annotations.list({ imageId: image.id })).map((a) => a.id), [annotation.id]);
    });

    test('exports the accepted annotations as COCO', async () => {
      const out = path.join(dir, 'export.json');
      const report = await connection.client.coco.export({ path: out });
      assert.deepEqual([report.images, report.annotations, report.categories], [IMAGE_COUNT, 1, 1]);
      const coco = JSON.parse(fs.readFileSync(out, 'utf8')) as { annotations: { segmentation: { counts: string } }[] };
      assert.equal(typeof coco.annotations[0].segmentation.counts, 'string');
    });

    test('serves an image for display to the page', async () => {
      const [image] = (await connection.client.images.list({ limit: 1 })).items;
      const shown = await service.readImageForDisplay(image.id);
      assert.equal(shown.mimeType, 'image/png');
      assert.ok(shown.bytes.equals(fs.readFileSync(image.path)));
    });

    test('closing the project tells the renderer', async () => {
      await connection.client.projects.close();
      assert.equal(projectChanges.at(-1), null);
      assert.equal(await connection.client.projects.info(), null);
      assert.equal((await connection.client.projects.recent())[0].name, 'stamps');
    });
  });
}
