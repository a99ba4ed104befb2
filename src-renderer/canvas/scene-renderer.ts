// Draws one frame: image tiles of the level that suits the zoom, cached mask overlays, the draft mask,
// then prompts and the brush cursor at constant screen size. Plain 2D-context calls, no DOM lookups.
import { rectsIntersect, type Rect, type Size } from './geometry.js';
import { chooseLevel, visibleTiles, type PyramidLevel, type TileSpec } from './tiles.js';
import { imageToScreen, visibleImageRect, type View } from './view-transform.js';

/** The subset of CanvasRenderingContext2D the renderer uses; `Source` is what drawImage takes. */
export interface DrawContext<Source> {
  fillStyle: string | CanvasGradient | CanvasPattern;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  imageSmoothingEnabled: boolean;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  fillRect(x: number, y: number, width: number, height: number): void;
  strokeRect(x: number, y: number, width: number, height: number): void;
  drawImage(image: Source, dx: number, dy: number, dw: number, dh: number): void;
  beginPath(): void;
  arc(x: number, y: number, radius: number, startAngle: number, endAngle: number): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  fill(): void;
  setLineDash(segments: number[]): void;
}

/** The displayed image: its pyramid and, per level, the tiles whose bitmaps are ready (null while building). */
export interface SceneImage<Source> {
  size: Size;
  levels: readonly PyramidLevel[];
  tiles(level: number): readonly (TileSpec & { source: Source | null })[];
}

/** A pre-tinted bitmap drawn over `rect` (image pixels). */
export interface SceneOverlay<Source> {
  source: Source;
  rect: Rect;
}

export interface ScenePrompts {
  /** Image pixels; label 1 = foreground, 0 = background. */
  points: readonly { x: number; y: number; label: 0 | 1 }[];
  /** Image pixels. */
  box: Rect | null;
  /** The box being dragged right now (image pixels). */
  dragBox: Rect | null;
}

export interface Scene<Source> {
  image: SceneImage<Source> | null;
  overlays: readonly SceneOverlay<Source>[];
  draft: SceneOverlay<Source> | null;
  prompts: ScenePrompts;
  /** Image pixels. */
  brushCursor: { x: number; y: number; radius: number; mode: 'paint' | 'erase' } | null;
}

export interface Viewport extends Size {
  devicePixelRatio: number;
}

const BACKGROUND = '#1e1f24';
const POSITIVE = '#2ecc71';
const NEGATIVE = '#e74c3c';
const BOX = '#f1c40f';

/** The image and annotation overlays already drawn at this view's zoom (see base-layer.ts), placed in device pixels. */
export interface PrerenderedBase<Source> {
  source: Source;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Draws `scene` onto a canvas whose backing store is viewport * devicePixelRatio pixels. With `base`, the
 * image and annotations are one blit of it; the draft, prompts and cursor are always drawn fresh.
 */
export function drawScene<Source>(ctx: DrawContext<Source>, scene: Scene<Source>, view: View, viewport: Viewport, base?: PrerenderedBase<Source>): void {
  const dpr = viewport.devicePixelRatio;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, viewport.width, viewport.height);
  if (base) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(base.source, base.x, base.y, base.width, base.height);
  } else drawImageAndAnnotations(ctx, scene, view, viewport);
  const visible = visibleImageRect(view, viewport);
  setImageTransform(ctx, view, dpr);
  if (scene.draft) drawOverlay(ctx, scene.draft, visible);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  drawPrompts(ctx, scene.prompts, view);
  if (scene.brushCursor) drawBrushCursor(ctx, scene.brushCursor, view);
}

/** The image tiles and the annotation overlays in view, on whatever is already on the canvas. */
export function drawImageAndAnnotations<Source>(ctx: DrawContext<Source>, scene: Scene<Source>, view: View, viewport: Viewport): void {
  const visible = visibleImageRect(view, viewport);
  setImageTransform(ctx, view, viewport.devicePixelRatio);
  if (scene.image) drawImageTiles(ctx, scene.image, view.scale * viewport.devicePixelRatio, visible);
  for (const overlay of scene.overlays) drawOverlay(ctx, overlay, visible);
}

/** Image pixels -> device pixels. */
function setImageTransform<Source>(ctx: DrawContext<Source>, view: View, dpr: number): void {
  ctx.setTransform(view.scale * dpr, 0, 0, view.scale * dpr, view.offsetX * dpr, view.offsetY * dpr);
  // Past 2 device pixels per image pixel, annotators want to see pixels, not a blur.
  ctx.imageSmoothingEnabled = view.scale * dpr < 2;
}

function drawImageTiles<Source>(ctx: DrawContext<Source>, image: SceneImage<Source>, devicePixelsPerImagePixel: number, visible: Rect): void {
  const level = chooseLevel(image.levels, devicePixelsPerImagePixel);
  const wanted = visibleTiles(image.tiles(level.index), visible);
  if (wanted.some((tile) => tile.source === null)) {
    // Still building: the coarsest level (built first) stands in underneath.
    const coarsest = image.levels.at(-1)!;
    for (const tile of visibleTiles(image.tiles(coarsest.index), visible)) drawTile(ctx, tile);
  }
  for (const tile of wanted) drawTile(ctx, tile);
}

function drawTile<Source>(ctx: DrawContext<Source>, tile: TileSpec & { source: Source | null }): void {
  if (tile.source === null) return;
  const { x, y, width, height } = tile.imageRect;
  ctx.drawImage(tile.source, x, y, width, height);
}

function drawOverlay<Source>(ctx: DrawContext<Source>, overlay: SceneOverlay<Source>, visible: Rect): void {
  if (!rectsIntersect(overlay.rect, visible)) return;
  const { x, y, width, height } = overlay.rect;
  ctx.drawImage(overlay.source, x, y, width, height);
}

function drawPrompts<Source>(ctx: DrawContext<Source>, prompts: ScenePrompts, view: View): void {
  ctx.lineWidth = 2;
  for (const box of [prompts.box, prompts.dragBox]) {
    if (!box) continue;
    const topLeft = imageToScreen(view, box);
    ctx.setLineDash(box === prompts.dragBox ? [6, 4] : []);
    ctx.strokeStyle = BOX;
    ctx.strokeRect(topLeft.x, topLeft.y, box.width * view.scale, box.height * view.scale);
  }
  ctx.setLineDash([]);
  for (const point of prompts.points) {
    const at = imageToScreen(view, point);
    ctx.beginPath();
    ctx.arc(at.x, at.y, 6, 0, 2 * Math.PI);
    ctx.fillStyle = point.label === 1 ? POSITIVE : NEGATIVE;
    ctx.fill();
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
    // A plus for foreground, a minus for background: readable without colour vision.
    ctx.beginPath();
    ctx.moveTo(at.x - 3, at.y);
    ctx.lineTo(at.x + 3, at.y);
    if (point.label === 1) {
      ctx.moveTo(at.x, at.y - 3);
      ctx.lineTo(at.x, at.y + 3);
    }
    ctx.stroke();
  }
}

function drawBrushCursor<Source>(ctx: DrawContext<Source>, cursor: NonNullable<Scene<Source>['brushCursor']>, view: View): void {
  const at = imageToScreen(view, cursor);
  ctx.beginPath();
  ctx.arc(at.x, at.y, Math.max(1, cursor.radius * view.scale), 0, 2 * Math.PI);
  ctx.lineWidth = 1.5;
  ctx.setLineDash(cursor.mode === 'erase' ? [4, 3] : []);
  ctx.strokeStyle = '#ffffff';
  ctx.stroke();
  ctx.setLineDash([]);
}
