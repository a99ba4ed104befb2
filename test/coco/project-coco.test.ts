// COCO in and out of a real project (SQLite file, image files on disk): all of a file or nothing, and back out unchanged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { exportProjectCoco, importCocoIntoProject } from '../../src-main/coco/project-coco.js';
import { decodeMask, encodeMask, type Bbox } from '../../src-main/coco/rle.js';
import { Project } from '../../src-main/store/project.js';

const WIDTH = 48;
const HEIGHT = 32;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-project-coco-'));
const projects: Project[] = [];
after(() => {
  projects.forEach((p) => p.close());
  fs.rmSync(root, { recursive: true, force: true });
});

function newProject(name: string): Project {
  const project = Project.create(path.join(root, `${name}.maskloop`), name, { actor: 'tester' });
  projects.push(project);
  return project;
}

/** A mask of the images' size with the box x0..x1-1, y0..y1-1 set, and a one-pixel hole in the middle. */
function boxWithHole(x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const mask = new Uint8Array(HEIGHT * WIDTH);
  for (let y = y0; y < y1; y++) mask.fill(1, y * WIDTH + x0, y * WIDTH + x1);
  mask[Math.floor((y0 + y1) / 2) * WIDTH + Math.floor((x0 + x1) / 2)] = 0;
  return mask;
}

const stampMask = boxWithHole(4, 4, 20, 14);
const signatureMask = boxWithHole(25, 10, 45, 30);

function cocoFile() {
  return {
    images: [
      { id: 1, file_name: 'page-1.png', width: WIDTH, height: HEIGHT },
      { id: 2, file_name: 'sub/page-2.png', width: WIDTH, height: HEIGHT },
    ],
    categories: [
      { id: 1, name: 'stamp', supercategory: 'mark' },
      { id: 2, name: 'signature', supercategory: 'mark' },
    ],
    annotations: [
      { id: 10, image_id: 1, category_id: 1, segmentation: encodeMask(stampMask, HEIGHT, WIDTH), iscrowd: 0 },
      { id: 11, image_id: 1, category_id: 2, segmentation: encodeMask(signatureMask, HEIGHT, WIDTH), iscrowd: 0 },
      { id: 12, image_id: 2, category_id: 1, segmentation: [[10, 5, 30, 5, 30, 25, 10, 25]], iscrowd: 0 },
      { id: 13, image_id: 2, category_id: 1, bbox: [2, 2, 6, 4], iscrowd: 0 },
    ],
  };
}

const imagesDir = path.join(root, 'images');
function writeCoco(name: string, content: unknown): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

before(async () => {
  fs.mkdirSync(path.join(imagesDir, 'sub'), { recursive: true });
  const page = (background: string) => sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background } }).png();
  await page('#ffffff').toFile(path.join(imagesDir, 'page-1.png'));
  await page('#eeeeee').toFile(path.join(imagesDir, 'sub', 'page-2.png'));
});

function storedMasks(project: Project) {
  return [...project.annotations.iterateLive()].map((a) => ({
    category: project.categories.require(a.categoryId).name,
    file: project.images.require(a.imageId).fileName,
    mask: decodeMask(a.mask),
    bbox: a.bbox,
    area: a.area,
    source: a.source,
  }));
}

describe('importCocoIntoProject', () => {
  it('adds the images, categories and annotations as imported, box-only masks counted', async () => {
    const project = newProject('good');
    const report = await importCocoIntoProject(project, writeCoco('good.json', cocoFile()), { imagesDir });
    assert.deepEqual(
      { images: report.images, categories: report.categories, annotations: report.annotations, boxMasks: report.boxMasks },
      { images: { added: 2, alreadyInProject: 0 }, categories: { created: 2, alreadyInProject: 0 }, annotations: 4, boxMasks: 1 },
    );
    const stored = storedMasks(project);
    assert.deepEqual(stored.map((s) => [s.file, s.category, s.source]), [
      ['page-1.png', 'stamp', 'imported'],
      ['page-1.png', 'signature', 'imported'],
      ['page-2.png', 'stamp', 'imported'],
      ['page-2.png', 'stamp', 'imported'],
    ]);
    assert.deepEqual(stored[0].mask, stampMask);
    assert.deepEqual(stored[1].mask, signatureMask);
    assert.deepEqual(stored[0].bbox, [4, 4, 16, 10]);
    assert.equal(stored[0].area, 16 * 10 - 1);
    assert.equal(project.categories.getByName('stamp')?.supercategory, 'mark');
    assert.equal(project.correctionsSinceLastFineTune(), 0, 'an import is not a correction');
  });

  it('refuses the whole file when one item is bad, and imports the rest when told to skip', async () => {
    const project = newProject('bad');
    const file = cocoFile();
    file.annotations[1].category_id = 99;
    file.images.push({ id: 3, file_name: 'gone.png', width: WIDTH, height: HEIGHT });
    const cocoPath = writeCoco('bad.json', file);
    await assert.rejects(importCocoIntoProject(project, cocoPath, { imagesDir }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_COCO');
      assert.match(error.message, /has 2 item\(s\) that cannot be imported, so nothing was imported/);
      assert.match(error.message, /error at images\[2\]: image file "gone.png" was not found in /);
      assert.match(error.message, /error at annotations\[1\]: category_id 99 is not in "categories"/);
      return true;
    });
    assert.equal(project.images.count(), 0);
    assert.equal(project.categories.list().length, 0);
    assert.equal(project.annotations.countLive(), 0);

    const report = await importCocoIntoProject(project, cocoPath, { imagesDir, skipBadItems: true });
    assert.equal(report.annotations, 3);
    assert.equal(report.problems.filter((p) => p.severity === 'error').length, 2);
    assert.equal(project.annotations.countLive(), 3);
  });

  it('reuses images and categories the project already has', async () => {
    const project = newProject('twice');
    const cocoPath = writeCoco('twice.json', cocoFile());
    await importCocoIntoProject(project, cocoPath, { imagesDir });
    const again = await importCocoIntoProject(project, cocoPath, { imagesDir });
    assert.deepEqual(again.images, { added: 0, alreadyInProject: 2 });
    assert.deepEqual(again.categories, { created: 0, alreadyInProject: 2 });
    assert.equal(project.images.count(), 2);
  });

  it('finds images next to the COCO file by default, and says where it looked', async () => {
    const project = newProject('default-folder');
    const beside = writeCoco('images/beside.json', cocoFile());
    const report = await importCocoIntoProject(project, beside);
    assert.equal(report.annotations, 4);
    await assert.rejects(importCocoIntoProject(newProject('elsewhere'), writeCoco('elsewhere.json', cocoFile())), {
      message: new RegExp(`image file "page-1.png" was not found in ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    });
  });

  it('reports a COCO file that is missing or not JSON', async () => {
    const project = newProject('unreadable');
    await assert.rejects(importCocoIntoProject(project, path.join(root, 'nope.json')), { code: 'FILE_NOT_FOUND' });
    fs.writeFileSync(path.join(root, 'cut.json'), '{"images": [');
    await assert.rejects(importCocoIntoProject(project, path.join(root, 'cut.json')), { code: 'INVALID_COCO', message: /is not valid JSON/ });
  });
});

describe('exportProjectCoco', () => {
  it('writes what was imported: a second project importing the export holds the same masks, boxes and areas', async () => {
    const first = newProject('export-source');
    await importCocoIntoProject(first, writeCoco('source.json', cocoFile()), { imagesDir });
    for (const polygons of [false, true]) {
      const out = path.join(root, polygons ? 'exported-polygons.json' : 'exported.json');
      const report = await exportProjectCoco(first, out, { polygons });
      assert.deepEqual([report.images, report.categories, report.annotations], [2, 2, 4]);
      assert.equal(report.imagesRoot, imagesDir);
      const exported = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.deepEqual(exported.images.map((i: { file_name: string }) => i.file_name), ['page-1.png', 'sub/page-2.png']);
      const ids = [...first.annotations.iterateLive()].map((a) => a.id);
      assert.deepEqual(exported.annotations.map((a: { id: number }) => a.id), ids, 'annotation ids are the project\'s');

      const second = newProject(`export-target-${polygons}`);
      await importCocoIntoProject(second, out, { imagesDir: report.imagesRoot });
      const strip = (rows: ReturnType<typeof storedMasks>) => rows.map(({ mask, bbox, area, category }) => ({ mask, bbox: bbox as Bbox, area, category }));
      assert.deepEqual(strip(storedMasks(second)), strip(storedMasks(first)));
    }
  });

  it('exports only the chosen categories', async () => {
    const project = newProject('export-filter');
    await importCocoIntoProject(project, writeCoco('filter.json', cocoFile()), { imagesDir });
    const report = await exportProjectCoco(project, path.join(root, 'signatures.json'), { categoryNames: ['Signature'] });
    assert.deepEqual([report.images, report.categories, report.annotations], [2, 1, 1]);
  });
});
