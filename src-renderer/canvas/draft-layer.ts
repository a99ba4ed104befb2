// The draft mask's overlay: re-tinted in full when its base changes, and only where the brush touched while painting.
import type { DraftMask } from '../editing/draft-mask.js';
import { clipToSize, type Rect } from './geometry.js';
import { tintMask, type TintStyle } from './mask-window.js';
import { renderOverlay } from './overlay-cache.js';
import type { SceneOverlay } from './scene-renderer.js';

/** Room left around the mask so that most brush strokes repaint in place instead of reallocating. */
const GROWTH_MARGIN = 64;

export class DraftLayer {
  private current: SceneOverlay<OffscreenCanvas> | null = null;

  get overlay(): SceneOverlay<OffscreenCanvas> | null {
    return this.current;
  }

  /** Re-tints the whole draft (after a prediction, an undo, a new base). */
  render(draft: DraftMask, style: TintStyle): void {
    const bounds = draft.bounds;
    const region = bounds && clipToSize(grow(bounds, GROWTH_MARGIN), draft.size);
    this.current = region ? renderOverlay(draft.asWindow(), style, region) : null;
  }

  /** Re-tints `changed` (image pixels) after a brush step; falls back to `render` when it reaches outside the bitmap. */
  update(draft: DraftMask, changed: Rect, style: TintStyle): void {
    const overlay = this.current;
    // One pixel more on each side: the neighbours' edge pixels may have changed too.
    const dirty = clipToSize(grow(changed, 1), draft.size);
    if (!dirty) return;
    if (!overlay || !contains(overlay.rect, dirty)) return this.render(draft, style);
    const context = overlay.source.getContext('2d')!;
    const pixels = tintMask(draft.asWindow(), style, dirty);
    context.putImageData(new ImageData(pixels, dirty.width, dirty.height), dirty.x - overlay.rect.x, dirty.y - overlay.rect.y);
  }

  clear(): void {
    this.current = null;
  }
}

function grow(rect: Rect, by: number): Rect {
  return { x: rect.x - by, y: rect.y - by, width: rect.width + 2 * by, height: rect.height + 2 * by };
}

function contains(outer: Rect, inner: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}
