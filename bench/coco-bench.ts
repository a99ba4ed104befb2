// COCO benchmark: exporting 1,000 stamp-like 1024x768 masks from a project's stored RLE rows to a written JSON file
// (compressed RLE, the default, and polygons), plus RLE encode/decode of one such mask.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportProjectCoco } from '../src-main/coco/project-coco.js';
import { decodeMask, encodeMask } from '../src-main/coco/rle.js';
import { Project } from '../src-main/store/project.js';
import { medianMs, round } from './stats.js';

const WIDTH = 1024;
const HEIGHT = 768;
const IMAGES = 100;
const ANNOTATIONS_PER_IMAGE = 10;

interface Stamp {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  angle: number;
  /** 0 for a solid stamp; else the inner radius fraction of an ink ring (a mask with a hole). */
  hole: number;
}

function randomStamp(next: () => number): Stamp {
  const rx = 40 + next() * 110;
  return {
    cx: 160 + next() * (WIDTH - 320),
    cy: 160 + next() * (HEIGHT - 320),
    rx,
    ry: rx * (0.6 + next() * 0.4),
    angle: next() * Math.PI,
    hole: next() < 0.5 ? 0 : 0.5 + next() * 0.3,
  };
}

/** Draws the stamp into `mask` (uint8[HEIGHT, WIDTH], zero outside its box) and returns the box it touched. */
function drawStamp(mask: Uint8Array, s: Stamp): [number, number, number, number] {
  const reach = Math.ceil(Math.max(s.rx, s.ry));
  const [x0, x1] = [Math.max(0, Math.floor(s.cx - reach)), Math.min(WIDTH, Math.ceil(s.cx + reach))];
  const [y0, y1] = [Math.max(0, Math.floor(s.cy - reach)), Math.min(HEIGHT, Math.ceil(s.cy + reach))];
  const [cos, sin] = [Math.cos(s.angle), Math.sin(s.angle)];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - s.cx;
      const dy = y + 0.5 - s.cy;
      const r2 = ((dx * cos + dy * sin) / s.rx) ** 2 + ((dy * cos - dx * sin) / s.ry) ** 2;
      mask[y * WIDTH + x] = r2 < 1 && r2 >= s.hole * s.hole ? 1 : 0;
    }
  }
  return [x0, y0, x1, y1];
}

function clear(mask: Uint8Array, [x0, y0, x1, y1]: [number, number, number, number]): void {
  for (let y = y0; y < y1; y++) mask.fill(0, y * WIDTH + x0, y * WIDTH + x1);
}

/** A project of IMAGES pages with ANNOTATIONS_PER_IMAGE stamps each, stored as the app stores accepted masks. */
function fillProject(project: Project): void {
  let state = 42;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const mask = new Uint8Array(WIDTH * HEIGHT);
  project.transaction(() => {
    const stamp = project.categories.create({ name: 'stamp' });
    for (let i = 0; i < IMAGES; i++) {
      const image = project.images.insert({
        absolutePath: path.join(project.folder, 'scans', `page-${i}.png`),
        width: WIDTH,
        height: HEIGHT,
        byteSize: 100_000 + i,
        format: 'png',
        contentHash: i.toString(16).padStart(64, '0'),
      });
      for (let k = 0; k < ANNOTATIONS_PER_IMAGE; k++) {
        const box = drawStamp(mask, randomStamp(next));
        const rle = encodeMask(mask, HEIGHT, WIDTH);
        clear(mask, box);
        const [x0, y0, x1, y1] = box;
        let area = 0;
        for (const v of decodeMask(rle)) area += v;
        project.annotations.create({
          imageId: image.id,
          categoryId: stamp.id,
          mask: rle,
          bbox: [x0, y0, x1 - x0, y1 - y0],
          area,
          iouPrediction: 0.95,
          source: 'sam',
        });
      }
    }
  });
}

export async function benchCoco(): Promise<{
  coco_export_ms_per_1k_annotations: number;
  coco_export_polygons_ms_per_1k_annotations: number;
  rle_encode_1024x768_ms: number;
  rle_decode_1024x768_ms: number;
}> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-coco-bench-'));
  try {
    const project = Project.create(path.join(folder, 'bench.maskloop'), 'COCO bench');
    try {
      fillProject(project);
      const perThousand = 1000 / (IMAGES * ANNOTATIONS_PER_IMAGE);
      const rleMs = await medianMs(() => exportProjectCoco(project, path.join(folder, 'rle.json')), 5);
      const polygonMs = await medianMs(() => exportProjectCoco(project, path.join(folder, 'polygons.json'), { polygons: true }), 1);

      const mask = new Uint8Array(WIDTH * HEIGHT);
      drawStamp(mask, { cx: 500, cy: 380, rx: 150, ry: 110, angle: 0.3, hole: 0.6 });
      const rle = encodeMask(mask, HEIGHT, WIDTH);
      const encodeMs = await medianMs(() => encodeMask(mask, HEIGHT, WIDTH), 50, 10);
      const decodeMs = await medianMs(() => decodeMask(rle), 50, 10);
      return {
        coco_export_ms_per_1k_annotations: round(rleMs * perThousand),
        coco_export_polygons_ms_per_1k_annotations: round(polygonMs * perThousand),
        rle_encode_1024x768_ms: round(encodeMs, 3),
        rle_decode_1024x768_ms: round(decodeMs, 3),
      };
    } finally {
      project.close();
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
