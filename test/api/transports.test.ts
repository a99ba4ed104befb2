// The real service through both real transports: valid and invalid payloads, events in order, cancel.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiCallError } from '../../src-main/api/client.js';
import type { DownloadProgress } from '../../src-main/api/contract.js';
import type { MaskLoopService } from '../../src-main/api/service.js';
import { connectIpc, connectWebSocket, createTestService, FixtureFileServer, tempDir, type Connected } from './harness.js';

const files = new FixtureFileServer();
before(() => files.start());
after(() => files.close());

async function rejection(promise: Promise<unknown>): Promise<ApiCallError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiCallError, `expected an ApiCallError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call should have been rejected');
}

for (const connect of [connectWebSocket, connectIpc]) {
  describe(`the service over ${connect === connectWebSocket ? 'WebSocket' : 'Electron IPC'}`, () => {
    let dataDir: string;
    let service: MaskLoopService;
    let connection: Connected;

    before(async () => {
      dataDir = tempDir('api');
      service = createTestService(dataDir, files);
      connection = await connect(service);
    });
    after(async () => {
      await connection.close();
      await service.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('answers a valid request with the typed value', async () => {
      const info = await connection.client.app.info();
      assert.equal(info.hasModel, false);
      assert.match(info.versions.onnxruntime, /^\d+\.\d+\.\d+/);
      assert.equal(info.versions.node, process.versions.node);
      assert.deepEqual(await connection.client.projects.recent(), []);
    });

    test('rejects an invalid payload with INVALID_PAYLOAD naming the field, and stores nothing', async () => {
      const error = await rejection(connection.client.models.download({ variant: 'vit_x' as 'vit_b' }));
      assert.equal(error.code, 'INVALID_PAYLOAD');
      assert.match(error.message, /^Invalid models\.download request: variant: /);
      const wrongType = await rejection(connection.client.images.list({ offset: -1, limit: 'ten' as unknown as number }));
      assert.match(wrongType.message, /offset: .*; limit: /);
      const extraField = await rejection(connection.client.app.info({ sneaky: true } as unknown as Record<string, never>));
      assert.match(extraField.message, /sneaky/);
      assert.deepEqual((await connection.client.models.list()).checkpoints, []);
      assert.equal(fs.existsSync(path.join(dataDir, 'checkpoints')), false);
    });

    test('validates nested prompt fields by their path', async () => {
      const error = await rejection(
        connection.client.sam.predict({ imageId: 1, points: [{ x: 10, y: 20, label: 2 as 1 }] }),
      );
      assert.equal(error.code, 'INVALID_PAYLOAD');
      assert.match(error.message, /points\[0\]\.label/);
      const noPrompt = await rejection(connection.client.sam.predict({ imageId: 1 }));
      assert.match(noPrompt.message, /at least one point or a box/);
    });

    test('refuses a method outside the contract', async () => {
      const result = await connection.transport.invoke('fs.readFile' as 'app.info', { path: '/etc/passwd' });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.error.code, 'UNKNOWN_METHOD');
    });

    test('says clearly when a part of the app is not available yet', async () => {
      const error = await rejection(connection.client.app.chooseFiles({ purpose: 'openProject' }));
      assert.equal(error.code, 'NOT_AVAILABLE');
      assert.match(error.message, /native file dialog/);
    });

    test('says what to do when no project is open', async () => {
      const error = await rejection(connection.client.images.list());
      assert.equal(error.code, 'PROJECT');
      assert.match(error.message, /open or create one/);
    });

    test('a download reports progress in order, before its result, then uses the checkpoint', async () => {
      files.chunkDelayMs = 40;
      const seen: (DownloadProgress | 'result')[] = [];
      const unsubscribe = connection.client.on('download.progress', (progress) => seen.push(progress));
      const state = await connection.client.models.download({ variant: 'vit_b' });
      seen.push('result');
      unsubscribe();
      const progress = seen.slice(0, -1) as DownloadProgress[];
      assert.equal(seen.at(-1), 'result');
      assert.ok(progress.length >= 2, `expected several progress events, got ${progress.length}`);
      assert.deepEqual(progress.map((p) => p.received), progress.map((p) => p.received).sort((a, b) => a - b));
      assert.deepEqual(progress.at(-1), { variant: 'vit_b', received: files.bytes.length, total: files.bytes.length });
      assert.equal(state.checkpoints.length, 1);
      assert.equal(state.checkpoints[0].active, true);
      assert.ok(files.bytes.equals(fs.readFileSync(state.checkpoints[0].path)));
      const info = await connection.client.app.info();
      assert.deepEqual([info.hasModel, info.provider], [true, 'cpu']);
    });

    test('refuses a checkpoint file that is not SAM\'s with the reader\'s message, keeping the active one', async () => {
      const notACheckpoint = path.join(dataDir, 'notes.pth');
      fs.writeFileSync(notACheckpoint, 'these are not weights');
      const error = await rejection(connection.client.models.addCheckpoint({ path: notACheckpoint }));
      assert.equal(error.code, 'NOT_A_CHECKPOINT');
      const state = await connection.client.models.list();
      assert.deepEqual(state.checkpoints.map((c) => c.active), [true]);
    });

    test('cancel stops a running download with CANCELLED and leaves no checkpoint', async () => {
      files.chunkDelayMs = 30;
      const download = connection.client.models.download({ variant: 'vit_l' });
      await new Promise<void>((resolve) => {
        const unsubscribe = connection.client.on('download.progress', () => {
          unsubscribe();
          resolve();
        });
      });
      await connection.client.models.cancelDownload({ variant: 'vit_l' });
      const error = await rejection(download);
      assert.equal(error.code, 'CANCELLED');
      assert.equal((await connection.client.models.list()).checkpoints.some((c) => c.variant === 'vit_l'), false);
    });
  });
}
