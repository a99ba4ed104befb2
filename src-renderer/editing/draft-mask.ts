// The mask being made: a base (SAM's chosen candidate or the annotation being re-edited) with the
// annotator's brush and eraser strokes on top. Strokes are kept, so a new prediction keeps the fixes.
import { encodeMask } from '../../src-main/coco/rle.js';
import type { Rle } from '../../src-main/api/contract.js';
import { unionRect, type PointXY, type Rect, type Size } from '../canvas/geometry.js';
import type { MaskWindow } from '../canvas/mask-window.js';
import { paintSegment } from './brush.js';

export interface BrushStroke {
  mode: 'paint' | 'erase';
  /** Image pixels. */
  radius: number;
  /** Image pixels, in drawing order. */
  points: PointXY[];
}

export class DraftMask {
  readonly size: Size;
  /** uint8[height, width] row-major, 0/1: base with strokes applied. */
  readonly pixels: Uint8Array;
  private base: MaskWindow | null = null;
  private readonly strokes: BrushStroke[] = [];
  /** Holds every set pixel (may be larger than the tight box). */
  private extent: Rect | null = null;

  constructor(size: Size) {
    this.size = size;
    this.pixels = new Uint8Array(size.width * size.height);
  }

  get strokeCount(): number {
    return this.strokes.length;
  }

  /** A box around every foreground pixel, or null when nothing was ever set. */
  get bounds(): Rect | null {
    return this.extent;
  }

  setBase(base: MaskWindow | null): void {
    this.base = base;
    this.recompose();
  }

  /** Starts `stroke` (its points so far are painted; extendStroke adds to them). */
  beginStroke(stroke: BrushStroke): Rect | null {
    this.strokes.push(stroke);
    let changed: Rect | null = null;
    for (let i = 0; i < stroke.points.length; i++) changed = unionRect(changed, this.paint(stroke, stroke.points[Math.max(0, i - 1)], stroke.points[i]));
    return changed;
  }

  /** Continues the last stroke to `to`; returns the pixels that may have changed. */
  extendStroke(to: PointXY): Rect | null {
    const stroke = this.strokes.at(-1);
    if (!stroke) return null;
    const from = stroke.points.at(-1)!;
    stroke.points.push(to);
    return this.paint(stroke, from, to);
  }

  /** Drops the last stroke; false when there was none. */
  undoStroke(): boolean {
    if (!this.strokes.pop()) return false;
    this.recompose();
    return true;
  }

  /** Foreground pixels. */
  area(): number {
    const box = this.extent;
    if (!box) return 0;
    let area = 0;
    for (let y = box.y; y < box.y + box.height; y++) {
      const row = y * this.size.width;
      for (let x = box.x; x < box.x + box.width; x++) area += this.pixels[row + x];
    }
    return area;
  }

  isEmpty(): boolean {
    return this.area() === 0;
  }

  toRle(): Rle {
    return encodeMask(this.pixels, this.size.height, this.size.width);
  }

  /** The whole draft as a window, for drawing and hit tests (shares `pixels`). */
  asWindow(): MaskWindow {
    return { imageWidth: this.size.width, imageHeight: this.size.height, rect: { x: 0, y: 0, ...this.size }, data: this.pixels };
  }

  private paint(stroke: BrushStroke, from: PointXY, to: PointXY): Rect | null {
    const changed = paintSegment(this.pixels, this.size, from, to, stroke.radius, stroke.mode === 'paint' ? 1 : 0);
    if (stroke.mode === 'paint') this.extent = unionRect(this.extent, changed);
    return changed;
  }

  private recompose(): void {
    this.pixels.fill(0);
    this.extent = null;
    const base = this.base;
    if (base && base.rect.width > 0 && base.rect.height > 0) {
      const { x, y, width, height } = base.rect;
      for (let row = 0; row < height; row++) {
        this.pixels.set(base.data.subarray(row * width, (row + 1) * width), (y + row) * this.size.width + x);
      }
      this.extent = { ...base.rect };
    }
    for (const stroke of this.strokes) {
      for (let i = 0; i < stroke.points.length; i++) this.paint(stroke, stroke.points[Math.max(0, i - 1)], stroke.points[i]);
    }
  }
}
