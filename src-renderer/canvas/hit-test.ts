// Which annotation is under a point: the topmost visible one whose mask covers the pixel.
import type { PointXY } from './geometry.js';
import { maskCovers, type MaskWindow } from './mask-window.js';

export interface HitCandidate {
  id: number;
  mask: MaskWindow;
  hidden: boolean;
}

/** `candidates` in drawing order (last drawn is on top); `point` in image pixels. */
export function annotationAt(candidates: readonly HitCandidate[], point: PointXY): number | null {
  for (let i = candidates.length - 1; i >= 0; i--) {
    const candidate = candidates[i];
    if (!candidate.hidden && maskCovers(candidate.mask, point)) return candidate.id;
  }
  return null;
}
