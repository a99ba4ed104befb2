// COCO polygons: rasterisation identical to pycocotools' rleFrPoly, and mask -> polygons -> mask round trips.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskToPolygons, polygonsToRuns, rleFromBbox, rleFromPolygon, runsToPolygons } from '../../src-main/coco/polygons.js';
import { iouOfRuns } from '../../src-main/coco/rle-merge.js';
import { decodeRuns, encodeRuns, runsToString } from '../../src-main/coco/rle.js';

function maskFromRows(rows: string[]): Uint8Array {
  return Uint8Array.from(rows.join(''), (c) => (c === '#' ? 1 : 0));
}

function discMask(height: number, width: number, cx: number, cy: number, radius: number, into: Uint8Array = new Uint8Array(height * width), value = 1): Uint8Array {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 < radius * radius) into[y * width + x] = value;
    }
  }
  return into;
}

function randomMask(height: number, width: number, seed: number, density: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length: height * width }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 < density ? 1 : 0;
  });
}

/** The mask pycocotools gets back from the polygons (annToRLE: rleFrPoly per polygon, then the union). */
function rasterised(polygons: number[][], height: number, width: number): Uint8Array {
  return decodeRuns(polygonsToRuns(polygons, height, width));
}

describe('rleFromPolygon (pycocotools rleFrPoly)', () => {
  it('fills the pixels whose centres lie inside an axis-aligned rectangle', () => {
    // Pixel (x, y) covers [x, x+1] x [y, y+1]: the square 0..10 covers pixels 0..9 in both directions.
    const mask = decodeRuns(rleFromPolygon([0, 0, 10, 0, 10, 10, 0, 10], 20, 20));
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) assert.equal(mask[y * 20 + x], x < 10 && y < 10 ? 1 : 0, `pixel ${x},${y}`);
    }
  });

  // Strings computed by cocoapi's common/maskApi.c, compiled from source, for the same inputs.
  it('matches maskApi.c on a triangle with fractional vertices', () => {
    const runs = rleFromPolygon([2.3, 1.7, 25.6, 4.2, 11.1, 17.9], 20, 30);
    assert.equal(runsToString(runs.counts), 'n12b02N1O2N2N2O1N2N1OO1O1O1O1O1O1O2N1O1O1O1O1OQ3');
  });

  it('matches maskApi.c on a quadrilateral that leaves the image', () => {
    const runs = rleFromPolygon([-1.5, 3.2, 6.49, -0.7, 13.2, 6.5, 5.5, 12.6], 12, 12);
    assert.equal(runsToString(runs.counts), '2481N2O2M2Oh02UO2N2O1NL');
  });

  it('matches maskApi.c rleFrBbox on a box with half-pixel corners', () => {
    assert.equal(runsToString(rleFromBbox([2.5, 1.5, 4, 5], 10, 10).counts), 'P15500000l0');
  });

  it('unions an annotation\'s polygons as annToRLE does (rleFrPoly + rleMerge)', () => {
    const runs = polygonsToRuns([[1, 1, 8, 1, 8, 8, 1, 8], [5, 5, 15, 5, 15, 15, 5, 15]], 20, 20);
    assert.equal(runsToString(runs.counts), 'e07=0000007I0004L000000000000o2');
  });
});

describe('maskToPolygons', () => {
  it('traces an axis-aligned rectangle as its four pixel-edge corners, exactly', () => {
    const mask = maskFromRows([
      '..........',
      '...#####..',
      '...#####..',
      '...#####..',
      '..........',
    ]);
    const polygons = maskToPolygons(mask, 5, 10);
    assert.equal(polygons.length, 1);
    assert.equal(polygons[0].length, 8);
    const corners = new Set<string>();
    for (let i = 0; i < 8; i += 2) corners.add(`${polygons[0][i]},${polygons[0][i + 1]}`);
    assert.deepEqual([...corners].sort(), ['3,1', '3,4', '8,1', '8,4']);
    assert.deepEqual(rasterised(polygons, 5, 10), mask);
  });

  it('keeps a hole: one polygon whose keyhole seam pycocotools fills back exactly', () => {
    const height = 40;
    const width = 48;
    const ring = discMask(height, width, 24, 20, 16);
    discMask(height, width, 24, 20, 7, ring, 0);
    assert.equal(ring[20 * width + 24], 0, 'the centre is a hole');
    const polygons = maskToPolygons(ring, height, width);
    assert.equal(polygons.length, 1);
    const back = rasterised(polygons, height, width);
    assert.equal(back[20 * width + 24], 0, 'the hole stays empty');
    assert.deepEqual(back, ring);
    assert.ok(iouOfRuns(encodeRuns(back, height, width), encodeRuns(ring, height, width)) >= 0.98);
  });

  it('gives one polygon per part of a multi-part mask, and an island inside a hole its own polygon', () => {
    const height = 30;
    const width = 60;
    const mask = discMask(height, width, 15, 15, 12);
    discMask(height, width, 15, 15, 6, mask, 0);
    discMask(height, width, 15, 15, 2.5, mask, 1);
    discMask(height, width, 45, 15, 9, mask, 1);
    const polygons = maskToPolygons(mask, height, width);
    assert.equal(polygons.length, 3);
    assert.deepEqual(rasterised(polygons, height, width), mask);
  });

  it('handles pixels that touch only at a corner, and pixels on every border', () => {
    const mask = maskFromRows([
      '#.#..#',
      '.#...#',
      '#.#...',
      '....##',
    ]);
    assert.deepEqual(rasterised(maskToPolygons(mask, 4, 6), 4, 6), mask);
  });

  it('traces a single pixel as a unit square and a full mask as the image rectangle', () => {
    const pixel = new Uint8Array(12);
    pixel[11] = 1;
    const [square] = maskToPolygons(pixel, 3, 4);
    assert.equal(square.length, 8);
    assert.deepEqual(rasterised([square], 3, 4), pixel);
    const full = maskToPolygons(new Uint8Array(12).fill(1), 3, 4);
    assert.equal(full.length, 1);
    assert.deepEqual(new Set(full[0]), new Set([0, 4, 3]));
  });

  it('gives no polygon for an empty mask', () => {
    assert.deepEqual(maskToPolygons(new Uint8Array(20), 4, 5), []);
  });

  it('round-trips noise exactly at odd sizes (holes, islands, corner contacts everywhere)', () => {
    for (const [height, width, seed] of [[17, 23, 1], [32, 9, 2], [25, 25, 3]]) {
      const mask = randomMask(height, width, seed, 0.45);
      assert.deepEqual(rasterised(runsToPolygons(encodeRuns(mask, height, width)), height, width), mask, `${height}x${width}`);
    }
  });
});
