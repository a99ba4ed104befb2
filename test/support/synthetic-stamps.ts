// Synthetic scanned pages with stamps (circles, ovals, rectangles, rings; red, blue, violet ink; rotated; text behind;
// scanner noise) and their exact masks, written as PNGs and added to a project as accepted annotations.
import path from 'node:path';
import sharp from 'sharp';
import { encodeMask, rleArea, rleToBbox } from '../../src-main/coco/rle.js';
import type { AnnotationPrompt } from '../../src-main/store/annotation-state.js';
import type { Project } from '../../src-main/store/project.js';
import { SeededRandom } from '../../src-main/train/seeded-random.js';

export const STAMP_SHAPES = ['circle', 'oval', 'rectangle', 'ring'] as const;
export type StampShape = (typeof STAMP_SHAPES)[number];

const INKS = {
  red: [196, 38, 44],
  blue: [38, 62, 178],
  violet: [112, 46, 150],
} as const satisfies Record<string, readonly [number, number, number]>;
export type StampInk = keyof typeof INKS;

export interface SyntheticStamp {
  shape: StampShape;
  ink: StampInk;
  /** uint8[height*width], row-major, 1 inside the stamp's outline (the whole stamp, interior included). */
  mask: Uint8Array;
}

export interface SyntheticPage {
  width: number;
  height: number;
  /** RGB uint8[height*width*3], HWC. */
  rgb: Uint8Array;
  stamps: SyntheticStamp[];
}

export interface PageOptions {
  width?: number;
  height?: number;
  /** Stamps per page, placed without overlapping (default 1). */
  stamps?: number;
}

const PAPER = [242, 238, 226] as const;
const TEXT_GREY = 58;
const NOISE_STD = 6;

/** Where a pixel lies relative to a stamp: inside or not, and how deep (0 at the outline, 1 at the centre). */
interface StampGeometry {
  shape: StampShape;
  centre: [number, number];
  /** Half extents along the stamp's own axes, in pixels. */
  halfSize: [number, number];
  angle: number;
}

/** Depth of (x, y) inside the stamp: > 0 inside (1 at the centre), <= 0 outside. */
function depthInside(stamp: StampGeometry, x: number, y: number): number {
  const dx = x - stamp.centre[0];
  const dy = y - stamp.centre[1];
  const cos = Math.cos(stamp.angle);
  const sin = Math.sin(stamp.angle);
  const u = (dx * cos + dy * sin) / stamp.halfSize[0];
  const v = (-dx * sin + dy * cos) / stamp.halfSize[1];
  if (stamp.shape === 'rectangle') return Math.min(1 - Math.abs(u), 1 - Math.abs(v));
  return 1 - Math.hypot(u, v);
}

/** Ink coverage at a depth: an outer band, an inner line, and (except for rings) a light wash with text-like marks. */
function inkAt(shape: StampShape, depth: number, mark: boolean): number {
  const outerBand = shape === 'ring' ? 0.14 : 0.09;
  if (depth < outerBand) return 0.9;
  if (depth > 0.2 && depth < (shape === 'ring' ? 0.27 : 0.24)) return 0.85;
  if (mark && depth > 0.3) return 0.8;
  return shape === 'ring' ? 0 : 0.18;
}

function randomGeometry(random: SeededRandom, shape: StampShape, width: number, height: number): StampGeometry {
  const base = Math.min(width, height) * random.uniform(0.13, 0.22);
  const halfSize: [number, number] =
    shape === 'oval' ? [base * random.uniform(1.25, 1.6), base * random.uniform(0.7, 0.9)]
    : shape === 'rectangle' ? [base * random.uniform(1.0, 1.5), base * random.uniform(0.6, 0.9)]
    : [base, base];
  const reach = Math.hypot(halfSize[0], halfSize[1]);
  const centre: [number, number] = [random.uniform(reach, width - reach), random.uniform(reach, height - reach)];
  const angle = shape === 'circle' || shape === 'ring' ? 0 : random.uniform(-0.6, 0.6);
  return { shape, centre, halfSize, angle };
}

/** Lines of word-like blocks of dark glyph strokes, as on a typed page. */
function drawText(random: SeededRandom, rgb: Uint8Array, width: number, height: number): void {
  const lineHeight = Math.max(10, Math.round(height / 26));
  for (let top = lineHeight; top + lineHeight < height; top += lineHeight + random.int(4)) {
    let x = Math.round(width * 0.06);
    const right = width - Math.round(width * random.uniform(0.05, 0.3));
    while (x < right) {
      const letters = 2 + random.int(8);
      for (let letter = 0; letter < letters && x < right; letter++) {
        const letterWidth = 3 + random.int(4);
        const ascent = random.int(3);
        const descent = random.int(2);
        for (let y = top + 2 - ascent; y < top + lineHeight - 3 + descent; y++) {
          for (let column = x; column < x + letterWidth && column < width; column++) {
            if (random.next() < 0.55) {
              const p = (y * width + column) * 3;
              rgb[p] = rgb[p + 1] = rgb[p + 2] = TEXT_GREY;
            }
          }
        }
        x += letterWidth + 1 + random.int(2);
      }
      x += 6 + random.int(8);
    }
  }
}

function overlaps(a: StampGeometry, b: StampGeometry): boolean {
  const reach = (s: StampGeometry) => Math.hypot(s.halfSize[0], s.halfSize[1]);
  return Math.hypot(a.centre[0] - b.centre[0], a.centre[1] - b.centre[1]) < reach(a) + reach(b) + 4;
}

/** One page, the same for the same seed. */
export function drawStampPage(seed: number, options: PageOptions = {}): SyntheticPage {
  const width = options.width ?? 512;
  const height = options.height ?? 384;
  const random = new SeededRandom(seed);
  const rgb = new Uint8Array(width * height * 3);
  const tint = random.uniform(-8, 6);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = PAPER[c] + tint;
  drawText(random, rgb, width, height);

  const placed: StampGeometry[] = [];
  const stamps: SyntheticStamp[] = [];
  for (let attempt = 0; stamps.length < (options.stamps ?? 1) && attempt < 50; attempt++) {
    const geometry = randomGeometry(random, random.pick(STAMP_SHAPES), width, height);
    if (placed.some((other) => overlaps(other, geometry))) continue;
    placed.push(geometry);
    const inkName = random.pick(Object.keys(INKS) as StampInk[]);
    const ink = INKS[inkName].map((value) => value + random.uniform(-15, 15));
    const mask = new Uint8Array(width * height);
    // Marks are 4x4-pixel cells of ink inside the stamp, like its lettering; speckle leaves ink out, as a worn stamp does.
    const markSeed = random.int(1 << 30);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const depth = depthInside(geometry, x + 0.5, y + 0.5);
        if (depth <= 0) continue;
        mask[y * width + x] = 1;
        const mark = new SeededRandom(markSeed ^ (Math.floor(x / 4) * 7919 + Math.floor(y / 4) * 104729)).next() < 0.35;
        const coverage = inkAt(geometry.shape, depth, mark) * (random.next() < 0.08 ? 0.3 : 1);
        const p = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) rgb[p + c] = rgb[p + c] * (1 - coverage) + ink[c] * coverage;
      }
    }
    stamps.push({ shape: geometry.shape, ink: inkName, mask });
  }
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.min(255, Math.max(0, Math.round(rgb[i] + NOISE_STD * random.normal())));
  return { width, height, rgb, stamps };
}

export interface StampProjectPage {
  imageId: number;
  file: string;
  page: SyntheticPage;
  annotationIds: number[];
}

/**
 * Writes `count` pages (seeds `seed`, `seed + 1`, ...) as PNGs into `folder`, adds them to `project`, and stores each
 * stamp as an accepted annotation of category "stamp" with the box an annotator would have drawn around it.
 */
export async function addStampPages(project: Project, folder: string, count: number, seed: number, options: PageOptions = {}): Promise<StampProjectPage[]> {
  const category = project.categories.getByName('stamp') ?? project.categories.create({ name: 'stamp' });
  const pages: StampProjectPage[] = [];
  for (let index = 0; index < count; index++) {
    const page = drawStampPage(seed + index, options);
    const file = path.join(folder, `stamps-${seed + index}.png`);
    await sharp(page.rgb, { raw: { width: page.width, height: page.height, channels: 3 } }).png().toFile(file);
    const { added, duplicates } = await project.library.add([file]);
    const imageId = added[0]?.id ?? duplicates[0].existingImageId;
    const annotationIds = page.stamps.map((stamp) => {
      const rle = encodeMask(stamp.mask, page.height, page.width);
      const bbox = rleToBbox(rle);
      const box: AnnotationPrompt = { kind: 'box', x0: bbox[0], y0: bbox[1], x1: bbox[0] + bbox[2], y1: bbox[1] + bbox[3] };
      return project.annotations.create({ imageId, categoryId: category.id, mask: rle, bbox, area: rleArea(rle), source: 'sam', prompts: [box] }).id;
    });
    pages.push({ imageId, file, page, annotationIds });
  }
  return pages;
}
