// The image and annotation overlays drawn once at the current zoom into an offscreen bitmap, so that
// panning a zoomed-out view is one unscaled blit per frame instead of resampling tiles and 50 overlays.
import type { Size } from './geometry.js';
import { drawImageAndAnnotations, type PrerenderedBase, type Scene, type Viewport } from './scene-renderer.js';
import { chooseLevel } from './tiles.js';
import type { View } from './view-transform.js';

/** Where the whole image lands in device pixels at a view: an integer origin plus the fraction left over. */
export interface BaseLayerPlan {
  x: number;
  y: number;
  width: number;
  height: number;
  /** The image origin's sub-pixel offset inside the bitmap; panning by whole device pixels keeps it. */
  phaseX: number;
  phaseY: number;
}

/**
 * The bitmap the view needs, or null when it would be larger than `maxPixels` (zoomed in: then only the
 * visible tiles are drawn, which at that zoom needs no costly downscaling anyway).
 */
export function planBaseLayer(view: View, devicePixelRatio: number, image: Size, maxPixels: number): BaseLayerPlan | null {
  const left = view.offsetX * devicePixelRatio;
  const top = view.offsetY * devicePixelRatio;
  const x = Math.floor(left);
  const y = Math.floor(top);
  const phaseX = left - x;
  const phaseY = top - y;
  const width = Math.ceil(image.width * view.scale * devicePixelRatio + phaseX);
  const height = Math.ceil(image.height * view.scale * devicePixelRatio + phaseY);
  return width * height > maxPixels ? null : { x, y, width, height, phaseX, phaseY };
}

/** Whether a bitmap made for `made` can be blitted for `wanted` (same zoom and sub-pixel phase). */
export function samePlanShape(made: BaseLayerPlan, wanted: BaseLayerPlan): boolean {
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;
  return made.width === wanted.width && made.height === wanted.height && close(made.phaseX, wanted.phaseX) && close(made.phaseY, wanted.phaseY);
}

interface Cached {
  scale: number;
  devicePixelRatio: number;
  image: Scene<CanvasImageSource>['image'];
  overlays: Scene<CanvasImageSource>['overlays'];
  plan: BaseLayerPlan;
  bitmap: OffscreenCanvas;
}

export class BaseLayerCache {
  private cached: Cached | null = null;
  /** The zoom of the previous frame: a zoom that changes every frame is drawn directly, not cached. */
  private previousScale = 0;

  /** The prerendered base for this frame, building it when the zoom has settled; null to draw directly. */
  baseFor(scene: Scene<CanvasImageSource>, view: View, viewport: Viewport): PrerenderedBase<CanvasImageSource> | null {
    const settled = view.scale === this.previousScale;
    this.previousScale = view.scale;
    const image = scene.image;
    if (!image) return null;
    const dpr = viewport.devicePixelRatio;
    // Up to four screens' worth of pixels: covers every zoomed-out view, bounded memory.
    const plan = planBaseLayer(view, dpr, image.size, 4 * viewport.width * viewport.height * dpr * dpr);
    if (!plan) return null;
    const cached = this.cached;
    const reusable =
      cached !== null &&
      cached.scale === view.scale &&
      cached.devicePixelRatio === dpr &&
      cached.image === image &&
      sameItems(cached.overlays, scene.overlays) &&
      samePlanShape(cached.plan, plan);
    if (reusable) return { source: cached.bitmap, x: plan.x, y: plan.y, width: plan.width, height: plan.height };
    // A level still being built would freeze its stand-in into the bitmap.
    const level = chooseLevel(image.levels, view.scale * dpr);
    if (!settled || image.tiles(level.index).some((tile) => tile.source === null)) return null;
    const bitmap = new OffscreenCanvas(plan.width, plan.height);
    const context = bitmap.getContext('2d');
    if (!context) return null;
    const localView = { scale: view.scale, offsetX: plan.phaseX / dpr, offsetY: plan.phaseY / dpr };
    drawImageAndAnnotations(context, scene, localView, { width: plan.width / dpr, height: plan.height / dpr, devicePixelRatio: dpr });
    this.cached = { scale: view.scale, devicePixelRatio: dpr, image, overlays: scene.overlays, plan, bitmap };
    return { source: bitmap, x: plan.x, y: plan.y, width: plan.width, height: plan.height };
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
