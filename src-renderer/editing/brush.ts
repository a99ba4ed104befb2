// Brush rasterisation: a round brush dragged from a to b covers every pixel whose centre lies within
// `radius` of the segment (a capsule), written into an image-sized mask.
import { clipToSize, type PointXY, type Rect, type Size } from '../canvas/geometry.js';

/**
 * Sets the capsule's pixels of `mask` (uint8[size.height, size.width] row-major) to `value`.
 * a, b: the stroke segment in image pixels (equal for a dab). Returns the pixels it may have changed, or null.
 */
export function paintSegment(mask: Uint8Array, size: Size, a: PointXY, b: PointXY, radius: number, value: 0 | 1): Rect | null {
  const reach = Math.max(radius, 0.5);
  const bounds = clipToSize(
    {
      x: Math.min(a.x, b.x) - reach,
      y: Math.min(a.y, b.y) - reach,
      width: Math.abs(a.x - b.x) + 2 * reach,
      height: Math.abs(a.y - b.y) + 2 * reach,
    },
    size,
  );
  if (!bounds) return null;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSquared = dx * dx + dy * dy;
  const reachSquared = reach * reach;
  for (let y = bounds.y; y < bounds.y + bounds.height; y++) {
    const cy = y + 0.5;
    for (let x = bounds.x; x < bounds.x + bounds.width; x++) {
      const cx = x + 0.5;
      // Nearest point of the segment to the pixel centre, as a fraction t of a->b.
      const t = lengthSquared === 0 ? 0 : Math.min(1, Math.max(0, ((cx - a.x) * dx + (cy - a.y) * dy) / lengthSquared));
      const ex = cx - (a.x + t * dx);
      const ey = cy - (a.y + t * dy);
      if (ex * ex + ey * ey <= reachSquared) mask[y * size.width + x] = value;
    }
  }
  return bounds;
}

/** Brush radius steps for [ and ]: about 20% per press, at least one pixel, within 1..500 image pixels. */
export function nextBrushRadius(radius: number, direction: 1 | -1): number {
  const step = Math.max(1, Math.round(radius * 0.2));
  return Math.min(500, Math.max(1, radius + direction * step));
}
