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

/**
 * RGBA pixels (uint8[height, width, 4], ready for ImageData) of `mask` inside `region` (image pixels,
 * default the mask's own rect). Pixels outside the mask stay transparent.
 */
export function tintMask(mask: MaskWindow, style: TintStyle, region: Rect = mask.rect): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(region.width * region.height * 4);
  const { rect, data } = mask;
  const [r, g, b] = style.color;
  const inside = (x: number, y: number): boolean => {
    const mx = x - rect.x;
    const my = y - rect.y;
    return mx >= 0 && my >= 0 && mx < rect.width && my < rect.height && data[my * rect.width + mx] !== 0;
  };
  for (let y = region.y; y < region.y + region.height; y++) {
    const my = y - rect.y;
    if (my < 0 || my >= rect.height) continue;
    for (let x = region.x; x < region.x + region.width; x++) {
      const mx = x - rect.x;
      if (mx < 0 || mx >= rect.width || data[my * rect.width + mx] === 0) continue;
      const edge = !inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1);
      const o = ((y - region.y) * region.width + (x - region.x)) * 4;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = edge ? style.edgeAlpha : style.fillAlpha;
    }
  }
  return out;
}
