// Where the image sits on the canvas: screen = image * scale + offset, in CSS pixels; zoom to the cursor, fit, 1:1, pan.
import type { PointXY, Rect, Size } from './geometry.js';

export interface View {
  /** CSS pixels per image pixel. */
  scale: number;
  /** Screen position (CSS pixels) of the image's top-left corner. */
  offsetX: number;
  offsetY: number;
}

/** One image pixel may shrink to 1/64 of a CSS pixel or grow to 64 of them. */
export const MIN_SCALE = 1 / 64;
export const MAX_SCALE = 64;

export function screenToImage(view: View, screen: PointXY): PointXY {
  return { x: (screen.x - view.offsetX) / view.scale, y: (screen.y - view.offsetY) / view.scale };
}

export function imageToScreen(view: View, image: PointXY): PointXY {
  return { x: image.x * view.scale + view.offsetX, y: image.y * view.scale + view.offsetY };
}

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** Zooms by `factor` keeping the image point under `anchor` (screen CSS pixels) where it is. */
export function zoomAt(view: View, anchor: PointXY, factor: number): View {
  const scale = clampScale(view.scale * factor);
  const under = screenToImage(view, anchor);
  return { scale, offsetX: anchor.x - under.x * scale, offsetY: anchor.y - under.y * scale };
}

/** Wheel notches to a zoom factor: one notch (deltaY 100) is 1.25x, trackpads' small deltas zoom smoothly. */
export function wheelZoomFactor(deltaY: number): number {
  return Math.pow(1.25, -deltaY / 100);
}

export function panBy(view: View, dx: number, dy: number): View {
  return { ...view, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

/** The whole image centred in the viewport with `margin` CSS pixels around it. */
export function fitView(image: Size, viewport: Size, margin = 16): View {
  const available = { width: Math.max(1, viewport.width - 2 * margin), height: Math.max(1, viewport.height - 2 * margin) };
  const scale = clampScale(Math.min(available.width / image.width, available.height / image.height));
  return centred(image, viewport, scale);
}

/** One image pixel per DEVICE pixel (so 1:1 stays sharp on high-DPI screens), keeping the viewport's centre. */
export function oneToOneView(view: View, viewport: Size, devicePixelRatio: number): View {
  return zoomAt(view, { x: viewport.width / 2, y: viewport.height / 2 }, 1 / devicePixelRatio / view.scale);
}

function centred(image: Size, viewport: Size, scale: number): View {
  return { scale, offsetX: (viewport.width - image.width * scale) / 2, offsetY: (viewport.height - image.height * scale) / 2 };
}

/** The part of the image plane the viewport shows, in image pixels (may reach beyond the image). */
export function visibleImageRect(view: View, viewport: Size): Rect {
  const topLeft = screenToImage(view, { x: 0, y: 0 });
  return { x: topLeft.x, y: topLeft.y, width: viewport.width / view.scale, height: viewport.height / view.scale };
}
