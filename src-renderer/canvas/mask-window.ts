// Masks in the renderer: COCO RLE decoded only inside its bounding box, and tinted into RGBA overlay pixels.
import { bboxOfRuns, decodeRunsWindow, toRuns } from '../../src-main/coco/rle.js';
import type { Rle } from '../../src-main/api/contract.js';
import type { PointXY, Rect } from './geometry.js';

/** The part of an image-sized mask inside `rect` (image pixels): uint8[rect.height, rect.width] row-major, 0/1. */
export interface MaskWindow {
  /** The full mask's size (the image's). */
  imageWidth: number;
  imageHeight: number;
  rect: Rect;
  data: Uint8Array;
}

/** Decodes an RLE without allocating the whole image: a 4000x3000 image's small stamp costs its box, not 12 MB. */
export function maskWindowFromRle(rle: Rle): MaskWindow {
  const runs = toRuns(rle);
  const [x, y, width, height] = bboxOfRuns(runs);
  const rect = { x, y, width, height };
  return { imageWidth: runs.width, imageHeight: runs.height, rect, data: decodeRunsWindow(runs, [x, y, width, height]) };
}

/** Whether the mask covers image pixel `point` (any real coordinates; the pixel that holds them). */
export function maskCovers(mask: MaskWindow, point: PointXY): boolean {
  const px = Math.floor(point.x) - mask.rect.x;
  const py = Math.floor(point.y) - mask.rect.y;
  if (px < 0 || py < 0 || px >= mask.rect.width || py >= mask.rect.height) return false;
  return mask.data[py * mask.rect.width + px] !== 0;
}

export type Rgb = readonly [number, number, number];

/** "#ff8800" -> [255, 136, 0]; anything else is a mid grey so a bad colour still shows. */
export function parseHexColor(color: string): Rgb {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!match) return [128, 128, 128];
  return [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)];
}

export interface TintStyle {
  color: Rgb;
  /** 0-255: the inside. */
  fillAlpha: number;
  /** 0-255: pixels of the mask that touch the outside (4-neighbourhood), so edges read at any zoom. */
  edgeAlpha: number;
}

/** True where the platform stores a uint32 with its lowest byte first (all current browsers). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** One RGBA pixel as the uint32 that a Uint32Array view over ImageData bytes holds. */
function packRgba([r, g, b]: Rgb, alpha: number): number {
  return (LITTLE_ENDIAN ? (alpha << 24) | (b << 16) | (g << 8) | r : (r << 24) | (g << 16) | (b << 8) | alpha) >>> 0;
}

/**
 * RGBA pixels (uint8[height, width, 4], ready for ImageData) of `mask` inside `region` (image pixels,
 * default the mask's own rect). Pixels outside the mask stay transparent. Written a pixel (uint32) at a
 * time with the neighbours read in place: a 3000x2000 mask tints in a few tens of milliseconds.
 */
export function tintMask(mask: MaskWindow, style: TintStyle, region: Rect = mask.rect): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(region.width * region.height * 4);
  const pixels = new Uint32Array(out.buffer);
  const fill = packRgba(style.color, style.fillAlpha);
  const edge = packRgba(style.color, style.edgeAlpha);
  const { rect, data } = mask;
  const x0 = Math.max(region.x, rect.x);
  const x1 = Math.min(region.x + region.width, rect.x + rect.width);
  const y0 = Math.max(region.y, rect.y);
  const y1 = Math.min(region.y + region.height, rect.y + rect.height);
  const last = rect.width - 1;
  for (let y = y0; y < y1; y++) {
    const my = y - rect.y;
    const row = my * rect.width;
    // Rows above and below, or -1 at the window's border (outside the window is outside the mask).
    const up = my > 0 ? row - rect.width : -1;
    const down = my < rect.height - 1 ? row + rect.width : -1;
    const outRow = (y - region.y) * region.width - region.x;
    for (let x = x0; x < x1; x++) {
      const mx = x - rect.x;
      if (data[row + mx] === 0) continue;
      const isEdge =
        mx === 0 || mx === last || up < 0 || down < 0 || data[row + mx - 1] === 0 || data[row + mx + 1] === 0 || data[up + mx] === 0 || data[down + mx] === 0;
      pixels[outRow + x] = isEdge ? edge : fill;
    }
  }
  return out;
}
