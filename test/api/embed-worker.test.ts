// The image encoder runs on a worker thread: the service keeps answering while an image is embedded,
// and the worker's failures come back as the reader's own errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { MaskLoopClient } from '../../src-main/api/client.js';
import { ApiCallError } from '../../src-main/api/client.js';
import type { MaskLoopService } from '../../src-main/api/service.js';
import { connectIpc, createTestService, tempDir, tinyCheckpoint, writeStampImage, type Connected } from './harness.js';

let dir: string;
let service: MaskLoopService;
let connection: Connected;
let client: MaskLoopClient;

before(async () => {
  dir = tempDir('worker');
  service = createTestService(path.join(dir, 'data'));
  connection = connectIpc(service);
  client = connection.client;
  await client.models.addCheckpoint({ path: tinyCheckpoint });
  await client.projects.create({ path: path.join(dir, 'p.maskloop') });
  for (const [name, left] of [['a', 300], ['b', 340]] as const) {
    await writeStampImage(path.join(dir, `${name}.png`), 1024, 768, { left, top: 200, width: 200, height: 150 });
  }
  await client.images.add({ paths: [path.join(dir, 'a.png'), path.join(dir, 'b.png')] });
  // Starts the worker and loads its model, so the test below times an encoder pass alone.
  const [first] = (await client.images.list()).items;
  await client.embedding.ensure({ imageId: first.id });
});
after(async () => {
  await connection.close();
  await service.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the event loop keeps running while an image is embedded', async () => {
  const [, second] = (await client.images.list()).items;
  let last = performance.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 10);
  const started = performance.now();
  const infoDuringEmbed = client.app.info().then(() => performance.now());
  try {
    await client.embedding.ensure({ imageId: second.id });
  } finally {
    clearInterval(timer);
  }
  const ended = performance.now();
  const embedMs = ended - started;
  longestGap = Math.max(longestGap, ended - last);
  assert.ok((await infoDuringEmbed) < started + embedMs, 'a request made during the embed was answered before it ended');
  // On the main thread the encoder pass would hold the loop for its whole duration.
  assert.ok(longestGap < Math.max(400, embedMs / 2), `the loop stalled for ${Math.round(longestGap)} ms during a ${Math.round(embedMs)} ms embed`);
});

test('an image file that became unreadable fails with the reader\'s error, from the worker', async () => {
  const broken = path.join(dir, 'c.png');
  await writeStampImage(broken, 64, 48, { left: 10, top: 10, width: 20, height: 20 });
  await client.images.add({ paths: [broken] });
  fs.writeFileSync(broken, 'no longer an image');
  const image = (await client.images.list()).items.find((i) => i.fileName === 'c.png')!;
  const error = await client.embedding.ensure({ imageId: image.id }).catch((e: ApiCallError) => e);
  assert.ok(error instanceof ApiCallError);
  assert.equal(error.code, 'UNREADABLE_IMAGE');
  assert.match(error.message, /c\.png/);
  assert.equal((await client.images.get({ imageId: image.id })).status, 'new');
});
