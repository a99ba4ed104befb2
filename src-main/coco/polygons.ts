// COCO polygons: masks to polygons (d3-contour traces the rings) and polygons to masks (a port of pycocotools'
// rleFrPoly, so a COCO polygon rasterises here exactly as pycocotools rasterises it).
//
// Coordinates are pixel edges of the original image: pixel (x, y) covers [x, x+1] x [y, y+1], the frame both
// pycocotools and d3-contour use. Mask -> polygons follows the pixel edges (a staircase), which pycocotools
// rasterises back to exactly the same pixels. COCO polygons cannot have holes (an annotation's polygons are
// unioned), so each hole is cut into its outer ring through a zero-width "keyhole" seam: the seam is walked
// there and back, its two passes cancel in pycocotools' boundary rasterisation, and the hole stays empty.
import { contours } from 'd3-contour';
import { MaskLoopError } from '../errors.js';
import { mergeRuns } from './rle-merge.js';
import { bboxOfRuns, decodeRunsWindow, encodeRuns, type Bbox, type RunLengths } from './rle.js';

/** One COCO polygon: [x1, y1, x2, y2, ...] in pixel-edge coordinates of the image. */
export type CocoPolygon = number[];

type Point = [number, number];

// pycocotools rasterises on a grid 5x finer than the pixels.
const UPSAMPLE = 5;

/** rleFrPoly: the pixels whose centres the closed polygon encloses (even-odd), as pycocotools computes them. */
export function rleFromPolygon(xy: ArrayLike<number>, height: number, width: number): RunLengths {
  const k = Math.floor(xy.length / 2);
  for (let i = 0; i < 2 * k; i++) {
    if (!Number.isFinite(xy[i])) throw new MaskLoopError('INVALID_ARGUMENT', `Polygon coordinate ${i} is ${xy[i]}; polygons need finite numbers.`);
  }
  // Upsample the vertices and walk every boundary segment one fine-grid step at a time.
  const vx = new Int32Array(k + 1);
  const vy = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) {
    vx[j] = Math.trunc(UPSAMPLE * xy[2 * j] + 0.5);
    vy[j] = Math.trunc(UPSAMPLE * xy[2 * j + 1] + 0.5);
  }
  vx[k] = vx[0];
  vy[k] = vy[0];
  let steps = 0;
  for (let j = 0; j < k; j++) steps += Math.max(Math.abs(vx[j] - vx[j + 1]), Math.abs(vy[j] - vy[j + 1])) + 1;
  const u = new Int32Array(steps);
  const v = new Int32Array(steps);
  let m = 0;
  for (let j = 0; j < k; j++) {
    let xs = vx[j];
    let xe = vx[j + 1];
    let ys = vy[j];
    let ye = vy[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    if (dx >= dy) {
      const s = dx === 0 ? 0 : (ye - ys) / dx;
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u[m] = t + xs;
        v[m] = Math.trunc(ys + s * t + 0.5);
        m++;
      }
    } else {
      const s = (xe - xs) / dy;
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v[m] = t + ys;
        u[m] = Math.trunc(xs + s * t + 0.5);
        m++;
      }
    }
  }
  // Where the boundary crosses a pixel column's centre, record the first pixel row below it.
  const boundary: number[] = [];
  for (let j = 1; j < m; j++) {
    if (u[j] === u[j - 1]) continue;
    const xd = ((u[j] < u[j - 1] ? u[j] : u[j] - 1) + 0.5) / UPSAMPLE - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > width - 1) continue;
    let yd = ((v[j] < v[j - 1] ? v[j] : v[j - 1]) + 0.5) / UPSAMPLE - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > height) yd = height;
    boundary.push(xd * height + Math.ceil(yd));
  }
  // Sorted column-major boundary positions toggle the mask; two toggles at one position cancel.
  boundary.push(height * width);
  const a = Uint32Array.from(boundary).sort();
  let previous = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j];
    a[j] -= previous;
    previous = t;
  }
  const counts: number[] = [a[0]];
  let j = 1;
  while (j < a.length) {
    if (a[j] > 0) counts.push(a[j++]);
    else {
      j++;
      if (j < a.length) counts[counts.length - 1] += a[j++];
    }
  }
  return { height, width, counts: Uint32Array.from(counts) };
}

/** rleFrBbox: a box [x, y, w, h] rasterised as the polygon of its corners. */
export function rleFromBbox(bbox: Bbox, height: number, width: number): RunLengths {
  const [x, y, w, h] = bbox;
  return rleFromPolygon([x, y, x, y + h, x + w, y + h, x + w, y], height, width);
}

/** What pycocotools' annToRLE does with a polygon segmentation: rasterise each polygon, then take the union. */
export function polygonsToRuns(polygons: readonly CocoPolygon[], height: number, width: number): RunLengths {
  if (polygons.length === 0) return { height, width, counts: Uint32Array.of(height * width) };
  return mergeRuns(polygons.map((polygon) => rleFromPolygon(polygon, height, width)));
}

/** in: mask uint8[height, width] row-major, nonzero = foreground. */
export function maskToPolygons(mask: Uint8Array, height: number, width: number): CocoPolygon[] {
  return runsToPolygons(encodeRuns(mask, height, width));
}

/** One polygon per connected part of the mask (holes keyholed into it); [] for an empty mask. */
export function runsToPolygons(runs: RunLengths): CocoPolygon[] {
  const [x0, y0, cropWidth, cropHeight] = bboxOfRuns(runs);
  if (cropWidth === 0 || cropHeight === 0) return [];
  const crop = decodeRunsWindow(runs, [x0, y0, cropWidth, cropHeight]);
  // d3-contour indexes the grid like an array; a typed array reads the same and saves a copy.
  const grid = crop as unknown as number[];
  const traced = contours().size([cropWidth, cropHeight]).smooth(false).contour(grid, 0.5);
  return traced.coordinates.map((rings) => {
    const [outer, ...holes] = rings.map((ring) => pixelEdgeRing(ring as Point[], x0, y0));
    return flatten(holes.reduce(cutKeyhole, outer));
  });
}

/**
 * d3-contour's marching squares put a vertex at the middle of every pixel edge on the boundary and cut the
 * corners diagonally. Each of its segments lies in one cell around a pixel corner; replacing the segment by
 * that corner walks the pixel edges instead, so the ring encloses exactly the mask's pixels.
 */
function pixelEdgeRing(ring: Point[], x0: number, y0: number): Point[] {
  const corners: Point[] = [];
  for (let i = 0; i + 1 < ring.length; i++) {
    const corner: Point = [Math.round((ring[i][0] + ring[i + 1][0]) / 2) + x0, Math.round((ring[i][1] + ring[i + 1][1]) / 2) + y0];
    const last = corners[corners.length - 1];
    if (!last || last[0] !== corner[0] || last[1] !== corner[1]) corners.push(corner);
  }
  return withoutStraightVertices(corners);
}

function withoutStraightVertices(ring: Point[]): Point[] {
  const n = ring.length;
  return ring.filter((p, i) => {
    const before = ring[(i + n - 1) % n];
    const after = ring[(i + 1) % n];
    const cross = (p[0] - before[0]) * (after[1] - p[1]) - (p[1] - before[1]) * (after[0] - p[0]);
    const dot = (p[0] - before[0]) * (after[0] - p[0]) + (p[1] - before[1]) * (after[1] - p[1]);
    return cross !== 0 || dot <= 0;
  });
}

/** Splices a hole into a ring at the ring vertex nearest the hole's top-left vertex, through a there-and-back seam. */
function cutKeyhole(ring: Point[], hole: Point[]): Point[] {
  let start = 0;
  for (let i = 1; i < hole.length; i++) {
    if (hole[i][1] < hole[start][1] || (hole[i][1] === hole[start][1] && hole[i][0] < hole[start][0])) start = i;
  }
  const anchor = hole[start];
  let nearest = 0;
  let nearestDistance = Infinity;
  for (let i = 0; i < ring.length; i++) {
    const distance = (ring[i][0] - anchor[0]) ** 2 + (ring[i][1] - anchor[1]) ** 2;
    if (distance < nearestDistance) {
      nearestDistance = distance;
      nearest = i;
    }
  }
  const holeFromAnchor = [...hole.slice(start), ...hole.slice(0, start), anchor];
  return [...ring.slice(0, nearest + 1), ...holeFromAnchor, ring[nearest], ...ring.slice(nearest + 1)];
}

function flatten(ring: Point[]): CocoPolygon {
  const xy: number[] = [];
  for (const [x, y] of ring) xy.push(x, y);
  return xy;
}
