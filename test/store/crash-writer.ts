// Child process for the crash test: writes annotations in a loop and prints each id once its transaction has committed.
import { Project } from '../../src-main/store/project.js';

const [file, imageId, categoryId] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const project = Project.open(file, { actor: 'crash-writer' });
const image = project.images.require(imageId);
// A realistic-length RLE string, so pages fill and the WAL grows while the process is killed.
const counts = 'a1b2c3d4'.repeat(60);

for (let i = 0; ; i++) {
  const annotation = project.annotations.create({
    imageId,
    categoryId,
    mask: { counts: `${counts}${i}`, size: [image.height, image.width] },
    bbox: [0, 0, 4, 4],
    area: 16,
    source: 'sam',
    prompts: [{ kind: 'point', x: 1, y: 1, label: 1 }],
  });
  // Writing to a pipe is synchronous in Node on POSIX: once this returns, the parent can read the line.
  process.stdout.write(`${annotation.id}\n`);
}
