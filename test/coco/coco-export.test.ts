// buildCocoExport / writeCocoFile: pycocotools' format, ids passed through, export -> import gives the same
// masks, boxes and areas, and a failed or killed write leaves the previous file whole.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildCocoExport, writeCocoFile, type CocoExportInput } from '../../src-main/coco/coco-export.js';
import { cocoAnnotationSchema, cocoCategorySchema, cocoFileSchema, cocoImageSchema, type CocoFile } from '../../src-main/coco/coco-format.js';
import { parseCocoJson, planCocoImport, planHasErrors } from '../../src-main/coco/coco-import.js';
import { decodeMask, encodeMask, type Bbox } from '../../src-main/coco/rle.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-coco-export-'));
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

const WIDTH = 64;
const HEIGHT = 48;

/** A stamp-like ellipse with a hole (an ink ring). */
function ringMask(): Uint8Array {
  const mask = new Uint8Array(HEIGHT * WIDTH);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const r2 = ((x + 0.5 - 30) / 18) ** 2 + ((y + 0.5 - 24) / 14) ** 2;
      mask[y * WIDTH + x] = r2 < 1 && r2 >= 0.3 ? 1 : 0;
    }
  }
  return mask;
}

/** A rectangle flush with the right and bottom borders. */
function borderMask(): Uint8Array {
  const mask = new Uint8Array(HEIGHT * WIDTH);
  for (let y = 40; y < HEIGHT; y++) mask.fill(1, y * WIDTH + 50, (y + 1) * WIDTH);
  return mask;
}

function pixelMask(): Uint8Array {
  const mask = new Uint8Array(HEIGHT * WIDTH);
  mask[0] = 1;
  return mask;
}

const masks = [ringMask(), borderMask(), pixelMask()];
const expectedBoxes: Bbox[] = [[12, 10, 36, 28], [50, 40, 14, 8], [0, 0, 1, 1]];
const expectedAreas = masks.map((m) => m.reduce((a, b) => a + b, 0));

const input: CocoExportInput = {
  images: [
    { id: 11, fileName: 'scans/a.png', width: WIDTH, height: HEIGHT },
    { id: 12, fileName: 'scans/b.png', width: WIDTH, height: HEIGHT },
    { id: 13, fileName: 'scans/empty.png', width: WIDTH, height: HEIGHT },
  ],
  categories: [
    { id: 3, name: 'stamp', supercategory: 'mark' },
    { id: 4, name: 'signature', supercategory: null },
  ],
  annotations: [
    { id: 501, imageId: 11, categoryId: 3, rle: encodeMask(masks[0], HEIGHT, WIDTH) },
    { id: 502, imageId: 11, categoryId: 4, rle: encodeMask(masks[1], HEIGHT, WIDTH), bbox: [50, 40, 14, 8], area: expectedAreas[1] },
    { id: 503, imageId: 12, categoryId: 3, rle: encodeMask(masks[2], HEIGHT, WIDTH) },
  ],
};

function assertValidCoco(coco: unknown): void {
  const file = cocoFileSchema.parse(coco);
  file.images.forEach((image) => cocoImageSchema.parse(image));
  file.categories.forEach((category) => cocoCategorySchema.parse(category));
  file.annotations?.forEach((annotation) => cocoAnnotationSchema.parse(annotation));
}

async function exportThenImport(polygons: boolean) {
  const coco = buildCocoExport(input, { polygons });
  const file = path.join(workDir, polygons ? 'polygons.json' : 'rle.json');
  await writeCocoFile(file, coco);
  const json = parseCocoJson(fs.readFileSync(file, 'utf8'), file);
  assertValidCoco(json);
  return { coco, plan: planCocoImport(json, { imageLookup: () => ({ width: WIDTH, height: HEIGHT }) }) };
}

describe('buildCocoExport', () => {
  const coco = buildCocoExport(input, { now: new Date('2025-01-02T03:04:05Z') });

  it('writes compressed RLE exactly as given, with ids passed through', () => {
    assert.deepEqual(coco.annotations.map((a) => [a.id, a.image_id, a.category_id, a.iscrowd]), [
      [501, 11, 3, 0],
      [502, 11, 4, 0],
      [503, 12, 3, 0],
    ]);
    assert.deepEqual(coco.annotations.map((a) => a.segmentation), input.annotations.map((a) => a.rle));
    assert.deepEqual(coco.images[0], { id: 11, file_name: 'scans/a.png', width: WIDTH, height: HEIGHT });
    assert.deepEqual(coco.categories, [
      { id: 3, name: 'stamp', supercategory: 'mark' },
      { id: 4, name: 'signature', supercategory: '' },
    ]);
    assert.equal(coco.info.date_created, '2025-01-02T03:04:05.000Z');
    assertValidCoco(coco);
  });

  it('computes bbox and area from the mask when the row has none', () => {
    assert.deepEqual(coco.annotations.map((a) => a.bbox), expectedBoxes);
    assert.deepEqual(coco.annotations.map((a) => a.area), expectedAreas);
  });

  it('exports only the chosen categories, keeping every image', () => {
    const stampsOnly = buildCocoExport(input, { categoryNames: ['stamp'] });
    assert.deepEqual(stampsOnly.categories.map((c) => c.name), ['stamp']);
    assert.deepEqual(stampsOnly.annotations.map((a) => a.id), [501, 503]);
    assert.equal(stampsOnly.images.length, 3);
  });

  it('refuses an unknown category name, listing the project\'s', () => {
    assert.throws(() => buildCocoExport(input, { categoryNames: ['stmp'] }), {
      code: 'INVALID_ARGUMENT',
      message: 'No category named "stmp" in this project; its categories are "stamp", "signature".',
    });
  });

  it('refuses a mask whose size is not its image\'s', () => {
    const wrong = { ...input, annotations: [{ ...input.annotations[0], rle: encodeMask(new Uint8Array(4), 2, 2) }] };
    assert.throws(() => buildCocoExport(wrong), { code: 'PROJECT', message: /annotation 501's mask is 2x2 but its image "scans\/a.png" is 64x48/ });
  });
});

describe('export then import', () => {
  for (const polygons of [false, true]) {
    it(`gives back the same masks, boxes and areas (${polygons ? 'polygons' : 'RLE'})`, async () => {
      const { coco, plan } = await exportThenImport(polygons);
      assert.equal(planHasErrors(plan), false, JSON.stringify(plan.problems));
      assert.deepEqual(plan.annotations.map((a) => decodeMask(a.rle)), masks);
      assert.deepEqual(plan.annotations.map((a) => a.bbox), expectedBoxes);
      assert.deepEqual(plan.annotations.map((a) => a.area), expectedAreas);
      assert.deepEqual(plan.annotations.map((a) => [a.imageFileName, a.categoryName]), [
        ['scans/a.png', 'stamp'],
        ['scans/a.png', 'signature'],
        ['scans/b.png', 'stamp'],
      ]);
      if (polygons) {
        assert.ok(coco.annotations.every((a) => Array.isArray(a.segmentation)));
        assert.equal((coco.annotations[0].segmentation as number[][]).length, 1, 'the ring is one keyholed polygon');
      }
    });
  }
});

describe('writeCocoFile', () => {
  const oldContent = '{"previous": "export"}\n';

  function foldersTempFiles(folder: string): string[] {
    return fs.readdirSync(folder).filter((name) => name.endsWith('.tmp'));
  }

  it('leaves the previous file whole and no temp file when writing fails part-way', async () => {
    const folder = fs.mkdtempSync(path.join(workDir, 'fail-'));
    const file = path.join(folder, 'out.json');
    fs.writeFileSync(file, oldContent);
    const coco = buildCocoExport(input);
    // Over 1 MiB of images, so part of the file has reached the disk before the bad item.
    coco.images = Array.from({ length: 30_000 }, (_, i) => ({ id: i, file_name: `scan-${i}.png`, width: WIDTH, height: HEIGHT }));
    coco.images.push({ id: -1, file_name: 'bad', width: WIDTH, height: 10n } as unknown as CocoFile['images'][number]);
    await assert.rejects(writeCocoFile(file, coco), { code: 'INVALID_ARGUMENT', message: /Writing .*out\.json failed .*the previous file, if any, is unchanged/ });
    assert.equal(fs.readFileSync(file, 'utf8'), oldContent);
    assert.deepEqual(foldersTempFiles(folder), []);
  });

  it('leaves the previous file whole when the writing process is killed (SIGKILL) mid-write', async () => {
    const folder = fs.mkdtempSync(path.join(workDir, 'kill-'));
    const file = path.join(folder, 'out.json');
    fs.writeFileSync(file, oldContent);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'write-coco-child.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Kill it as soon as part of the new file is on disk.
    while (!foldersTempFiles(folder).some((name) => fs.statSync(path.join(folder, name)).size > 0) && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.doesNotMatch(output, /done/, 'the child was killed before it finished');
    assert.equal(fs.readFileSync(file, 'utf8'), oldContent);
  });

  it('replaces the file with the complete export', async () => {
    const file = path.join(workDir, 'complete.json');
    fs.writeFileSync(file, oldContent);
    const coco = buildCocoExport(input);
    const { bytes } = await writeCocoFile(file, coco);
    assert.equal(fs.statSync(file).size, bytes);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), JSON.parse(JSON.stringify(coco)));
  });
});
