// Child process for the crash test: writes a large COCO file to argv[2] until its parent kills it.
import { writeCocoFile } from '../../src-main/coco/coco-export.js';
import type { CocoFile } from '../../src-main/coco/coco-format.js';

const images: CocoFile['images'] = Array.from({ length: 300_000 }, (_, i) => ({ id: i + 1, file_name: `scan-${i + 1}.png`, width: 1024, height: 768 }));
const coco: CocoFile = {
  info: { description: 'crash test', version: '1.0', year: 2025, date_created: '', contributor: '', url: '' },
  licenses: [],
  images,
  categories: [],
  annotations: [],
};
process.stdout.write('writing\n');
await writeCocoFile(process.argv[2], coco);
process.stdout.write('done\n');
