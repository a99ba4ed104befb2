// planCocoImport: a good file becomes a plan; every kind of bad item is reported where it is, and only it is left out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCocoJson, planCocoImport, planHasErrors, type CocoImportPlan, type ImageOnDisk } from '../../src-main/coco/coco-import.js';
import { decodeMask, encodeMask } from '../../src-main/coco/rle.js';

const onDisk: Partial<Record<string, ImageOnDisk>> = {
  'scan-1.png': { width: 40, height: 30 },
  'scan-2.png': { width: 40, height: 30 },
};
const lookup = { imageLookup: (fileName: string) => onDisk[fileName] };

/** A mask of the scans' size with the box x0..x1-1, y0..y1-1 set. */
function boxMask(x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const mask = new Uint8Array(30 * 40);
  for (let y = y0; y < y1; y++) mask.fill(1, y * 40 + x0, y * 40 + x1);
  return mask;
}

function goodFile() {
  return {
    images: [
      { id: 1, file_name: 'scan-1.png', width: 40, height: 30 },
      { id: 2, file_name: 'scan-2.png', width: 40, height: 30 },
    ],
    categories: [
      { id: 7, name: 'stamp', supercategory: 'mark' },
      { id: 8, name: 'signature' },
    ],
    annotations: [
      { id: 100, image_id: 1, category_id: 7, segmentation: [[2, 3, 12, 3, 12, 9, 2, 9]], bbox: [2, 3, 10, 6], area: 60, iscrowd: 0 },
      { id: 101, image_id: 1, category_id: 8, segmentation: encodeMask(boxMask(20, 10, 25, 20), 30, 40), iscrowd: 0 },
      { id: 102, image_id: 2, category_id: 7, segmentation: { size: [30, 40], counts: [5, 3, 1192] }, iscrowd: 1 },
      { id: 103, image_id: 2, category_id: 7, bbox: [30, 20, 5, 4], area: 20 },
    ],
  };
}

function errorsOf(plan: CocoImportPlan) {
  return plan.problems.filter((p) => p.severity === 'error');
}

describe('planCocoImport on a good file', () => {
  const plan = planCocoImport(goodFile(), lookup);

  it('plans every image, category and annotation without errors', () => {
    assert.equal(planHasErrors(plan), false);
    assert.deepEqual(plan.images.map((i) => i.fileName), ['scan-1.png', 'scan-2.png']);
    assert.deepEqual(plan.categories, [
      { cocoId: 7, name: 'stamp', supercategory: 'mark' },
      { cocoId: 8, name: 'signature', supercategory: null },
    ]);
    assert.deepEqual(plan.annotations.map((a) => [a.cocoId, a.imageFileName, a.categoryName, a.iscrowd]), [
      [100, 'scan-1.png', 'stamp', 0],
      [101, 'scan-1.png', 'signature', 0],
      [102, 'scan-2.png', 'stamp', 1],
      [103, 'scan-2.png', 'stamp', 0],
    ]);
  });

  it('rasterises polygons as pycocotools does and keeps the file\'s bbox', () => {
    const [polygon] = plan.annotations;
    assert.deepEqual(decodeMask(polygon.rle), boxMask(2, 3, 12, 9));
    assert.deepEqual(polygon.bbox, [2, 3, 10, 6]);
    assert.equal(polygon.area, 60);
  });

  it('counts the mask\'s pixels as area, whatever area the file gives', () => {
    const file = goodFile();
    file.annotations[0].area = 57.5;
    assert.equal(planCocoImport(file, lookup).annotations[0].area, 60);
  });

  it('computes bbox and area from the mask when the file has none', () => {
    const rle = plan.annotations[1];
    assert.deepEqual(decodeMask(rle.rle), boxMask(20, 10, 25, 20));
    assert.deepEqual(rle.bbox, [20, 10, 5, 10]);
    assert.equal(rle.area, 50);
    const uncompressed = plan.annotations[2];
    // Runs [5, 3, 1192]: '5', '3', then 1192 = 37*32 + 8 -> (8|0x20)+48 'X', 37 = 1*32 + 5 -> (5|0x20)+48 'U', 1 -> '1'.
    assert.deepEqual(uncompressed.rle, { size: [30, 40], counts: '53XU1' });
    assert.equal(uncompressed.area, 3);
  });

  it('gives a bbox-only annotation its box as mask, flagged, with a warning', () => {
    const box = plan.annotations[3];
    assert.equal(box.maskFromBox, true);
    assert.deepEqual(decodeMask(box.rle), boxMask(30, 20, 35, 24));
    assert.equal(plan.annotations.filter((a) => a.maskFromBox).length, 1);
    assert.deepEqual(plan.problems, [
      { path: 'annotations', severity: 'warning', message: '1 annotation(s) have a bbox but no segmentation (annotations[3]): their masks are their boxes, marked as box masks.' },
    ]);
  });
});

describe('planCocoImport reports each bad item and leaves only it out', () => {
  function planWith(change: (file: ReturnType<typeof goodFile>) => void, imageLookup = lookup.imageLookup) {
    const file = goodFile();
    change(file);
    return planCocoImport(file, { imageLookup, searchedIn: 'next to the COCO file' });
  }

  it('an unknown category id', () => {
    const plan = planWith((f) => (f.annotations[1].category_id = 99));
    assert.deepEqual(errorsOf(plan), [{ path: 'annotations[1]', severity: 'error', message: 'category_id 99 is not in "categories".' }]);
    assert.deepEqual(plan.annotations.map((a) => a.cocoId), [100, 102, 103]);
  });

  it('an annotation on an image the file does not list', () => {
    const plan = planWith((f) => (f.annotations[0].image_id = 5));
    assert.deepEqual(errorsOf(plan), [{ path: 'annotations[0]', severity: 'error', message: 'image_id 5 is not in "images".' }]);
  });

  it('an image file missing on disk, with its annotations', () => {
    const plan = planWith(() => undefined, (name) => (name === 'scan-2.png' ? undefined : onDisk[name]));
    assert.deepEqual(errorsOf(plan), [
      {
        path: 'images[1]',
        severity: 'error',
        message: 'image file "scan-2.png" was not found next to the COCO file: pass the folder that holds the images (--images DIR). Its 2 annotation(s) are not imported either.',
      },
    ]);
    assert.deepEqual(plan.images.map((i) => i.fileName), ['scan-1.png']);
    assert.deepEqual(plan.annotations.map((a) => a.cocoId), [100, 101]);
  });

  it('an image whose size on disk differs from the file (rotated by EXIF)', () => {
    const plan = planWith(() => undefined, (name) => (name === 'scan-1.png' ? { width: 30, height: 40 } : onDisk[name]));
    const [problem] = errorsOf(plan);
    assert.equal(problem.path, 'images[0]');
    assert.match(problem.message, /30x40 on disk but 40x30 in the COCO file \(width and height swapped/);
  });

  it('a polygon beyond the image width or height', () => {
    const plan = planWith((f) => (f.annotations[0].segmentation = [[2, 3, 52, 3, 52, 9, 2, 9]]));
    assert.deepEqual(errorsOf(plan), [
      { path: 'annotations[0]', severity: 'error', message: 'mask outside the image: segmentation[0] spans x 2..52, y 3..9 but the image is 40x30.' },
    ]);
  });

  it('accepts a polygon that overshoots the edge by rounding, clipped (bbox too) as pycocotools clips it', () => {
    const plan = planWith((f) => {
      f.annotations[0].segmentation = [[30, 20, 40.4, 20, 40.4, 30.2, 30, 30.2]];
      f.annotations[0].bbox = [30, 20, 10.4, 10.2];
    });
    assert.equal(planHasErrors(plan), false);
    assert.deepEqual(decodeMask(plan.annotations[0].rle), boxMask(30, 20, 40, 30));
    assert.deepEqual(plan.annotations[0].bbox, [30, 20, 10, 10]);
  });

  it('an RLE whose size is not the image\'s', () => {
    const plan = planWith((f) => (f.annotations[1].segmentation = encodeMask(new Uint8Array(30 * 41).fill(1), 30, 41)));
    assert.deepEqual(errorsOf(plan), [
      { path: 'annotations[1]', severity: 'error', message: 'mask outside the image: its RLE size is [30, 41] but the image is [30, 40] ([height, width]).' },
    ]);
  });

  it('an RLE string that does not decode', () => {
    const plan = planWith((f) => (f.annotations[1].segmentation = { size: [30, 40], counts: '5~' }));
    assert.equal(errorsOf(plan)[0].path, 'annotations[1]');
    assert.match(errorsOf(plan)[0].message, /^segmentation: The RLE counts string has the character "~"/);
  });

  it('a polygon with fewer than three points', () => {
    const plan = planWith((f) => (f.annotations[0].segmentation = [[2, 3, 12, 3]]));
    assert.match(errorsOf(plan)[0].message, /segmentation\[0\] has 4 numbers; a polygon is x,y pairs with at least 3 points/);
  });

  it('an annotation with neither segmentation nor bbox', () => {
    const plan = planWith((f) => delete (f.annotations[3] as { bbox?: unknown }).bbox);
    assert.deepEqual(errorsOf(plan), [
      { path: 'annotations[3]', severity: 'error', message: 'has neither a segmentation nor a bbox [x, y, w, h], so it has no mask.' },
    ]);
  });

  it('a bbox-only annotation whose box is outside the image', () => {
    const plan = planWith((f) => (f.annotations[3].bbox = [38, 20, 10, 4]));
    assert.match(errorsOf(plan)[0].message, /^bbox \[38,20,10,4\] is outside the image: spans x 38..48/);
  });

  it('a polygon that encloses no pixel centre', () => {
    const plan = planWith((f) => (f.annotations[0].segmentation = [[2.1, 3.1, 2.3, 3.1, 2.2, 3.3]]));
    assert.deepEqual(errorsOf(plan), [
      { path: 'annotations[0]', severity: 'error', message: 'its mask is empty: no pixel of the image is inside the segmentation.' },
    ]);
  });

  it('malformed items: an annotation without image_id, an image without width', () => {
    const plan = planWith((f) => {
      delete (f.annotations[2] as { image_id?: unknown }).image_id;
      delete (f.images[0] as { width?: unknown }).width;
    });
    assert.deepEqual(errorsOf(plan).map((p) => [p.path, p.message]), [
      ['images[0]', 'width: Invalid input: expected number, received undefined'],
      ['annotations[0]', 'image_id 1 is not in "images".'],
      ['annotations[1]', 'image_id 1 is not in "images".'],
      ['annotations[2]', 'image_id: missing (an integer id is required)'],
    ]);
  });

  it('duplicate ids and duplicate category names', () => {
    const plan = planWith((f) => {
      f.images.push({ id: 2, file_name: 'scan-3.png', width: 40, height: 30 });
      f.categories.push({ id: 9, name: 'Stamp' });
      f.annotations.push({ ...f.annotations[0], id: 101 });
    });
    assert.deepEqual(errorsOf(plan).map((p) => p.path), ['images[2]', 'categories[2]', 'annotations[4]']);
    assert.match(errorsOf(plan)[0].message, /id 2 is also used by images\[1\]/);
    assert.match(errorsOf(plan)[1].message, /name "Stamp" is also used by categories\[0\].*ignoring case/);
    assert.match(errorsOf(plan)[2].message, /id 101 is also used by annotations\[1\]/);
    // Both images called 2 are ambiguous, so neither is planned, nor the annotations on them.
    assert.deepEqual(plan.images.map((i) => i.fileName), ['scan-1.png']);
    assert.deepEqual(plan.annotations.map((a) => a.cocoId), [100, 101]);
  });

  it('a malformed bbox next to a good mask is recomputed, with a warning', () => {
    const plan = planWith((f) => (f.annotations[0].bbox = [2, 3, 10]));
    assert.equal(planHasErrors(plan), false);
    assert.deepEqual(plan.annotations[0].bbox, [2, 3, 10, 6]);
    assert.ok(plan.problems.some((p) => p.path === 'annotations[0]' && p.severity === 'warning' && /not \[x, y, w, h\]/.test(p.message)));
  });

  it('a segmentation of the wrong shape', () => {
    const plan = planWith((f) => ((f.annotations[0] as { segmentation: unknown }).segmentation = { counts: 'abc' }));
    assert.deepEqual(errorsOf(plan).map((p) => [p.path, p.message]), [
      ['annotations[0]', 'segmentation: must be polygons [[x1, y1, x2, y2, ...], ...] or an RLE {"size": [height, width], "counts": ...}'],
    ]);
  });

  it('a file that is not a COCO instances file', () => {
    const plan = planCocoImport([{ image_id: 1 }], lookup);
    assert.deepEqual(plan.images, []);
    assert.equal(errorsOf(plan)[0].path, '');
    assert.match(errorsOf(plan)[0].message, /^not a COCO instances file/);
  });

  it('malformed JSON is refused with the file named', () => {
    assert.throws(() => parseCocoJson('{"images": [', 'labels.json'), { code: 'INVALID_COCO', message: /^labels\.json is not valid JSON/ });
  });
});
