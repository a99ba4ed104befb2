// Pointer gestures on the canvas turned into intents: pan (middle button or space-drag), SAM clicks
// (left positive, right or shift negative), box drag, Ctrl-click select, brush/eraser strokes.
import { rectFromCorners, type PointXY, type Rect } from './geometry.js';

export type Tool = 'sam' | 'brush' | 'eraser';

export type GestureIntent =
  | { kind: 'pan'; dx: number; dy: number }
  | { kind: 'point'; at: PointXY; label: 0 | 1 }
  | { kind: 'select'; at: PointXY }
  | { kind: 'box-preview'; box: Rect | null }
  | { kind: 'box'; box: Rect }
  | { kind: 'stroke-begin'; at: PointXY; mode: 'paint' | 'erase' }
  | { kind: 'stroke-extend'; at: PointXY }
  | { kind: 'stroke-end' };

export interface PointerSample {
  /** Screen CSS pixels relative to the canvas. */
  x: number;
  y: number;
  /** 0 left, 1 middle, 2 right (PointerEvent.button, meaningful on down). */
  button: number;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}

/** A press that moves less than this (CSS pixels) is a click, not a drag. */
export const CLICK_SLOP = 4;

type Gesture =
  | { kind: 'pan'; last: PointXY }
  | { kind: 'press'; start: PointXY; startImage: PointXY; button: number; negative: boolean; select: boolean; dragging: boolean }
  | { kind: 'stroke' };

export class GestureTracker {
  private gesture: Gesture | null = null;

  constructor(
    /** Screen CSS pixels -> image pixels under the current view. */
    private readonly toImage: (screen: PointXY) => PointXY,
  ) {}

  get active(): boolean {
    return this.gesture !== null;
  }

  down(sample: PointerSample, tool: Tool, spaceHeld: boolean): GestureIntent[] {
    const at = { x: sample.x, y: sample.y };
    if (sample.button === 1 || (sample.button === 0 && spaceHeld)) {
      this.gesture = { kind: 'pan', last: at };
      return [];
    }
    if (tool !== 'sam' && sample.button === 0) {
      this.gesture = { kind: 'stroke' };
      return [{ kind: 'stroke-begin', at: this.toImage(at), mode: tool === 'brush' ? 'paint' : 'erase' }];
    }
    if (tool === 'sam' && (sample.button === 0 || sample.button === 2)) {
      this.gesture = {
        kind: 'press',
        start: at,
        startImage: this.toImage(at),
        button: sample.button,
        negative: sample.button === 2 || sample.shiftKey,
        select: sample.button === 0 && (sample.ctrlKey || sample.metaKey),
        dragging: false,
      };
    }
    return [];
  }

  move(sample: PointerSample): GestureIntent[] {
    const gesture = this.gesture;
    const at = { x: sample.x, y: sample.y };
    if (!gesture) return [];
    if (gesture.kind === 'pan') {
      const intent: GestureIntent = { kind: 'pan', dx: at.x - gesture.last.x, dy: at.y - gesture.last.y };
      gesture.last = at;
      return [intent];
    }
    if (gesture.kind === 'stroke') return [{ kind: 'stroke-extend', at: this.toImage(at) }];
    // Only a left-button drag draws a box; a moved right click still counts as a negative click.
    if (gesture.button === 0 && !gesture.select && Math.hypot(at.x - gesture.start.x, at.y - gesture.start.y) >= CLICK_SLOP) {
      gesture.dragging = true;
    }
    return gesture.dragging ? [{ kind: 'box-preview', box: rectFromCorners(gesture.startImage, this.toImage(at)) }] : [];
  }

  up(sample: PointerSample): GestureIntent[] {
    const gesture = this.gesture;
    this.gesture = null;
    if (!gesture || gesture.kind === 'pan') return [];
    if (gesture.kind === 'stroke') return [{ kind: 'stroke-end' }];
    if (gesture.dragging) {
      const box = rectFromCorners(gesture.startImage, this.toImage({ x: sample.x, y: sample.y }));
      return [{ kind: 'box-preview', box: null }, { kind: 'box', box }];
    }
    if (gesture.select) return [{ kind: 'select', at: gesture.startImage }];
    return [{ kind: 'point', at: gesture.startImage, label: gesture.negative ? 0 : 1 }];
  }

  /** The pointer was lost (left the window, capture cancelled): end what was going on without acting. */
  cancel(): GestureIntent[] {
    const gesture = this.gesture;
    this.gesture = null;
    if (gesture?.kind === 'stroke') return [{ kind: 'stroke-end' }];
    if (gesture?.kind === 'press' && gesture.dragging) return [{ kind: 'box-preview', box: null }];
    return [];
  }
}
