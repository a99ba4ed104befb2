import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { decodeMask, encodeMask } from '../../src-main/coco/rle.js';
import { Project } from '../../src-main/store/project.js';
import { runCli } from '../support/run-cli.js';
import { checkpointPath } from '../support/sam-reference.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-cli-project-'));
const env = { MASKLOOP_CACHE_DIR: path.join(work, 'cache') };
const projectFile = path.join(work, 'stamps.maskloop');
const imagesDir = path.join(work, 'pages');
after(() => fs.rmSync(work, { recursive: true, force: true }));

function ringMask(h: number, w: number, cx: number, cy: number): Uint8Array {
  const mask = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const r = Math.hypot(x - cx, y - cy);
    mask[y * w + x] = r > 10 && r < 25 ? 1 : 0;
  }
  return mask;
}

test('project create, images add (with a skip report), coco import, coco export, embed-all', async () => {
  fs.mkdirSync(path.join(imagesDir, 'sub'), { recursive: true });
  for (const [name, colour] of [['a.png', 200], ['sub/b.jpg', 120]] as const) {
    await sharp({ create: { width: 120, height: 90, channels: 3, background: { r: colour, g: 240, b: 235 } } }).toFile(path.join(imagesDir, name));
  }
  fs.writeFileSync(path.join(imagesDir, 'readme.txt'), 'not an image');

  assert.equal(runCli(['project', 'create', projectFile, '--name', 'Stamps']).status, 0);
  const add = runCli(['images', 'add', projectFile, imagesDir, '--json']);
  assert.equal(add.status, 0, add.stderr);
  const report = JSON.parse(add.stdout) as { added: unknown[]; skipped: { path: string; reason: string }[] };
  assert.equal(report.added.length, 2);
  assert.deepEqual(report.skipped.map((s) => path.basename(s.path)), ['readme.txt']);

  const ring = ringMask(90, 120, 60, 45);
  const coco = {
    images: [{ id: 7, file_name: 'a.png', width: 120, height: 90 }],
    categories: [{ id: 3, name: 'stamp', supercategory: 'mark' }],
    annotations: [{ id: 11, image_id: 7, category_id: 3, segmentation: encodeMask(ring, 90, 120), iscrowd: 0 }],
  };
  const cocoIn = path.join(work, 'in.json');
  fs.writeFileSync(cocoIn, JSON.stringify(coco));
  const imported = runCli(['coco', 'import', projectFile, cocoIn, '--images', imagesDir]);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout, /imported 1 annotation/);

  const cocoOut = path.join(work, 'out.json');
  const exported = runCli(['coco', 'export', projectFile, cocoOut]);
  assert.equal(exported.status, 0, exported.stderr);
  const written = JSON.parse(fs.readFileSync(cocoOut, 'utf8')) as { annotations: { segmentation: { counts: string; size: [number, number] }; bbox: number[]; area: number }[] };
  assert.equal(written.annotations.length, 1);
  assert.deepEqual(decodeMask(written.annotations[0].segmentation), ring);
  assert.equal(written.annotations[0].area, ring.reduce((a, b) => a + b, 0));
  // r < 25 around (60, 45): columns 36..84 and rows 21..69 hold foreground.
  assert.deepEqual(written.annotations[0].bbox, [36, 21, 49, 49]);

  const embedded = runCli(['embed-all', projectFile, '--model', checkpointPath], env);
  assert.equal(embedded.status, 0, embedded.stderr);
  assert.match(embedded.stdout, /2 embedded, 0 failed/);
  const project = Project.open(projectFile);
  try {
    assert.equal(project.images.countByStatus().ready + project.images.countByStatus().labelled, 2);
  } finally {
    project.close();
  }
});

test('a malformed COCO file is refused whole with a report of each bad item, and the project is unchanged', () => {
  const bad = path.join(work, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ images: [{ id: 1, file_name: 'missing.png', width: 5, height: 5 }], categories: [], annotations: [{ id: 1, image_id: 1, category_id: 9, bbox: [0, 0, 1, 1] }] }));
  const before = fs.statSync(projectFile).mtimeMs;
  const run = runCli(['coco', 'import', projectFile, bad, '--images', imagesDir]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /nothing was imported/);
  assert.match(run.stderr, /images\[0\]/);
  assert.match(run.stderr, /category_id 9/);
  const notJson = path.join(work, 'not.json');
  fs.writeFileSync(notJson, '{"images": [');
  assert.match(runCli(['coco', 'import', projectFile, notJson]).stderr, /^maskloop: .*JSON/m);
  assert.equal(fs.statSync(projectFile).mtimeMs, before);
  assert.match(runCli(['project', 'create', projectFile]).stderr, /already exists/);
  assert.match(runCli(['images', 'add', path.join(work, 'nope.maskloop'), imagesDir]).stderr, /^maskloop: /);
});
