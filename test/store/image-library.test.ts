import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { Project } from '../../src-main/store/project.js';
import { annotationOn, closeAtEnd, tempProject } from './temp-project.js';

/** An uncompressed 24-bit bottom-up BMP of one colour, written byte by byte. */
function bmpBytes(width: number, height: number): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const buffer = Buffer.alloc(54 + rowBytes * height);
  buffer.write('BM', 0, 'ascii');
  buffer.writeUInt32LE(buffer.length, 2);
  buffer.writeUInt32LE(54, 10);
  buffer.writeUInt32LE(40, 14);
  buffer.writeInt32LE(width, 18);
  buffer.writeInt32LE(height, 22);
  buffer.writeUInt16LE(1, 26);
  buffer.writeUInt16LE(24, 28);
  buffer.fill(0x80, 54);
  return buffer;
}

async function writeImages(folder: string): Promise<void> {
  fs.mkdirSync(path.join(folder, 'nested', 'deeper'), { recursive: true });
  const red = { width: 40, height: 30, channels: 3 as const, background: '#ff0000' };
  await sharp({ create: red }).png().toFile(path.join(folder, 'a.png'));
  fs.copyFileSync(path.join(folder, 'a.png'), path.join(folder, 'nested', 'a-copy.png'));
  // Stored 60x20 with EXIF orientation 6 (rotate 90°): shown, and annotated, as 20x60.
  await sharp({ create: { ...red, width: 60, height: 20, background: '#00ff00' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toFile(path.join(folder, 'nested', 'rotated.jpg'));
  await sharp({ create: { ...red, width: 8, height: 9, background: '#0000ff' } }).webp().toFile(path.join(folder, 'nested', 'deeper', 'c.webp'));
  await sharp({ create: { ...red, width: 11, height: 7, background: '#00ffff' } }).tiff().toFile(path.join(folder, 'nested', 'd.tif'));
  // A PNG with a misleading extension is still a PNG: formats are recognised by content.
  await sharp({ create: { ...red, width: 5, height: 6, background: '#ffff00' } }).png().toFile(path.join(folder, 'nested', 'e.jpg'));
  await sharp({ create: { ...red, width: 4, height: 4 } }).gif().toFile(path.join(folder, 'anim.gif'));
  fs.writeFileSync(path.join(folder, 'scan.bmp'), bmpBytes(3, 2));
  fs.writeFileSync(path.join(folder, 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(folder, '.DS_Store'), 'finder');
}

test('adding a folder adds every supported image once and reports duplicates and skipped files', async () => {
  const { project, folder } = tempProject();
  const scans = path.join(folder, 'scans');
  await writeImages(scans);
  const report = await project.library.add([scans, path.join(folder, 'absent.png')]);

  const added = Object.fromEntries(report.added.map((image) => [image.storedPath, [image.format, image.width, image.height]]));
  assert.deepEqual(added, {
    'scans/a.png': ['png', 40, 30],
    'scans/nested/d.tif': ['tiff', 11, 7],
    'scans/nested/deeper/c.webp': ['webp', 8, 9],
    'scans/nested/e.jpg': ['png', 5, 6],
    'scans/nested/rotated.jpg': ['jpeg', 20, 60],
    'scans/scan.bmp': ['bmp', 3, 2],
  });
  const a = report.added.find((image) => image.fileName === 'a.png')!;
  assert.deepEqual(report.duplicates, [{ path: path.join(scans, 'nested', 'a-copy.png'), existingImageId: a.id }]);
  assert.deepEqual(
    report.skipped.map((s) => [path.basename(s.path), s.reason]).sort(),
    [
      ['absent.png', 'no such file or folder'],
      ['anim.gif', 'GIF images are not supported; convert it to JPEG, PNG, TIFF, WebP or BMP'],
      ['notes.txt', 'not an image MaskLoop can read (JPEG, PNG, TIFF, WebP or BMP)'],
    ],
  );
  assert.match(a.contentHash, /^[0-9a-f]{64}$/);
  assert.equal(a.byteSize, fs.statSync(path.join(scans, 'a.png')).size);

  const again = await project.library.add([scans]);
  assert.equal(again.added.length, 0);
  assert.equal(again.duplicates.length, 7);
  assert.equal(project.images.count(), 6);
});

test('a moved image is shown as missing with its annotations, then relinked by content from a folder search', async () => {
  const { project, folder } = tempProject();
  await writeImages(path.join(folder, 'scans'));
  const { added } = await project.library.add([path.join(folder, 'scans')]);
  const a = added.find((image) => image.fileName === 'a.png')!;
  const category = project.categories.create({ name: 'stamp' });
  const annotation = project.annotations.create(annotationOn(a, category.id));

  const movedTo = path.join(folder, 'archive', '2026', 'renamed.png');
  fs.mkdirSync(path.dirname(movedTo), { recursive: true });
  fs.renameSync(a.absolutePath, movedTo);

  assert.deepEqual(await project.library.refreshMissing(), { nowMissing: [a.id], found: [] });
  assert.equal(project.images.require(a.id).status, 'missing');
  assert.deepEqual(project.images.list({ status: 'missing' }).map((i) => i.id), [a.id]);
  assert.deepEqual(project.annotations.listByImage(a.id).map((x) => x.id), [annotation.id]);
  // A missing image keeps its status when annotations change.
  project.annotations.create(annotationOn(a, category.id));
  assert.equal(project.images.require(a.id).status, 'missing');

  const relink = await project.library.relink(folder);
  assert.deepEqual(relink, { relinked: [{ imageId: a.id, path: movedTo }], stillMissing: 0 });
  const relinked = project.images.require(a.id);
  assert.deepEqual([relinked.storedPath, relinked.status], ['archive/2026/renamed.png', 'labelled']);
  assert.deepEqual(await project.library.refreshMissing(), { nowMissing: [], found: [] });
});

test('adding the moved file of a missing image relinks that image instead of adding a new one', async () => {
  const { project, folder } = tempProject();
  await writeImages(path.join(folder, 'scans'));
  const { added } = await project.library.add([path.join(folder, 'scans', 'a.png')]);
  const movedTo = path.join(folder, 'a-moved.png');
  fs.renameSync(added[0].absolutePath, movedTo);
  await project.library.refreshMissing();
  const report = await project.library.add([movedTo]);
  assert.deepEqual(report, { added: [], duplicates: [], relinked: [{ path: movedTo, imageId: added[0].id }], skipped: [] });
  assert.equal(project.images.require(added[0].id).status, 'new');
});

test('a file replaced by different content at the same path counts as missing', async () => {
  const { project, folder } = tempProject();
  await writeImages(path.join(folder, 'scans'));
  const { added } = await project.library.add([path.join(folder, 'scans', 'a.png')]);
  fs.writeFileSync(added[0].absolutePath, 'overwritten');
  assert.deepEqual((await project.library.refreshMissing()).nowMissing, [added[0].id]);
});

test('a project moved together with its images still finds them', async () => {
  const { project, folder, file } = tempProject();
  await writeImages(path.join(folder, 'scans'));
  await project.library.add([path.join(folder, 'scans')]);
  project.close();
  const movedFolder = `${folder}-moved`;
  fs.renameSync(folder, movedFolder);
  try {
    const reopened = closeAtEnd(Project.open(path.join(movedFolder, path.basename(file))));
    assert.deepEqual(await reopened.library.refreshMissing(), { nowMissing: [], found: [] });
    assert.equal(reopened.images.list()[0].absolutePath, path.join(movedFolder, 'scans', 'a.png'));
    reopened.close();
  } finally {
    fs.renameSync(movedFolder, folder);
  }
});
