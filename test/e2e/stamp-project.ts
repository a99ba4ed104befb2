// The browser tests' project: generated scanned-page images with one red stamp each (round or square),
// made with sharp from SVG, added to a new project through the store API.
import path from 'node:path';
import sharp from 'sharp';
import { Project } from '../../src-main/store/project.js';

export interface StampImage {
  file: string;
  width: number;
  height: number;
  /** The stamp's centre and half-size in image pixels. */
  stamp: { shape: 'round' | 'square'; cx: number; cy: number; radius: number };
}

const WIDTH = 800;
const HEIGHT = 600;

/** Where each page's stamp sits: varied so that the images differ. */
const STAMPS: StampImage['stamp'][] = [
  { shape: 'round', cx: 560, cy: 380, radius: 90 },
  { shape: 'square', cx: 250, cy: 300, radius: 80 },
  { shape: 'round', cx: 420, cy: 200, radius: 70 },
];

function pageSvg(stamp: StampImage['stamp'], index: number): string {
  const lines = Array.from({ length: 11 }, (_, i) => {
    const y = 60 + i * 46;
    const width = 560 - ((i * 97 + index * 41) % 220);
    return `<rect x="70" y="${y}" width="${width}" height="10" rx="3" fill="#4a4a4a"/>`;
  }).join('');
  const { cx, cy, radius } = stamp;
  const mark =
    stamp.shape === 'round'
      ? `<circle cx="${cx}" cy="${cy}" r="${radius}" fill="#d33c2f" fill-opacity="0.85"/><circle cx="${cx}" cy="${cy}" r="${radius * 0.62}" fill="none" stroke="#fbe9e7" stroke-width="6"/>`
      : `<rect x="${cx - radius}" y="${cy - radius}" width="${2 * radius}" height="${2 * radius}" rx="8" fill="#c0392b" fill-opacity="0.85"/><rect x="${cx - radius * 0.6}" y="${cy - radius * 0.6}" width="${1.2 * radius}" height="${1.2 * radius}" fill="none" stroke="#fbe9e7" stroke-width="6"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}"><rect width="100%" height="100%" fill="#f6f3ea"/>${lines}${mark}</svg>`;
}

/** Writes `scan-1.png`... into `folder`. */
export async function drawStampImages(folder: string): Promise<StampImage[]> {
  return Promise.all(
    STAMPS.map(async (stamp, index) => {
      const file = path.join(folder, `scan-${index + 1}.png`);
      await sharp(Buffer.from(pageSvg(stamp, index))).png().toFile(file);
      return { file, width: WIDTH, height: HEIGHT, stamp };
    }),
  );
}

/** A new project file in `folder` holding the stamp images; closed again so the server can open it. */
export async function createStampProject(folder: string): Promise<{ projectFile: string; images: StampImage[] }> {
  const images = await drawStampImages(folder);
  const projectFile = path.join(folder, 'stamps.maskloop');
  const project = Project.create(projectFile, 'Stamps (e2e)');
  try {
    await project.library.add(images.map((image) => image.file));
  } finally {
    project.close();
  }
  return { projectFile, images };
}
