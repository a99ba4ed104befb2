// Per-annotation overlay bitmaps: each mask decoded once (inside its box) and tinted once per colour and
// selection, kept until its mask changes, so a pan or zoom only re-blits ready bitmaps.
import type { Rle } from '../../src-main/api/contract.js';
import { maskWindowFromRle, parseHexColor, tintMask, type MaskWindow, type TintStyle } from './mask-window.js';
import type { SceneOverlay } from './scene-renderer.js';

export interface OverlayRequest {
  id: number;
  mask: Rle;
  color: string;
  selected: boolean;
}

interface Entry {
  counts: string;
  mask: MaskWindow;
  tintKey: string;
  overlay: SceneOverlay<OffscreenCanvas> | null;
}

export const ANNOTATION_TINT = { fillAlpha: 90, edgeAlpha: 230 } as const;
export const SELECTED_TINT = { fillAlpha: 150, edgeAlpha: 255 } as const;

export class OverlayCache {
  private readonly entries = new Map<number, Entry>();

  /** The decoded mask of an annotation (for hit tests), decoding it if needed. */
  mask(id: number, rle: Rle): MaskWindow {
    return this.entry(id, rle).mask;
  }

  /** The overlay to draw; null for an empty mask. */
  overlay(request: OverlayRequest): SceneOverlay<OffscreenCanvas> | null {
    const entry = this.entry(request.id, request.mask);
    const tintKey = `${request.color}|${request.selected}`;
    if (entry.tintKey !== tintKey) {
      entry.tintKey = tintKey;
      entry.overlay = renderOverlay(entry.mask, { color: parseHexColor(request.color), ...(request.selected ? SELECTED_TINT : ANNOTATION_TINT) });
    }
    return entry.overlay;
  }

  /** Forgets annotations that are gone (deleted, or another image's). */
  retain(ids: ReadonlySet<number>): void {
    for (const id of this.entries.keys()) if (!ids.has(id)) this.entries.delete(id);
  }

  private entry(id: number, rle: Rle): Entry {
    const cached = this.entries.get(id);
    if (cached && cached.counts === rle.counts) return cached;
    const entry: Entry = { counts: rle.counts, mask: maskWindowFromRle(rle), tintKey: '', overlay: null };
    this.entries.set(id, entry);
    return entry;
  }
}

/** The tinted bitmap of a mask window, placed at its rect; null when the mask is empty. */
export function renderOverlay(mask: MaskWindow, style: TintStyle, region = mask.rect): SceneOverlay<OffscreenCanvas> | null {
  if (region.width === 0 || region.height === 0) return null;
  const canvas = new OffscreenCanvas(region.width, region.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot draw mask overlays (no 2D canvas context).');
  context.putImageData(new ImageData(tintMask(mask, style, region), region.width, region.height), 0, 0);
  return { source: canvas, rect: region };
}
