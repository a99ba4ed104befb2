// COCO RLE: hand-derived encodings, strings written by pycocotools, round trips, area, bbox, merge and IoU.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  areaOfRuns,
  bboxOfRuns,
  canonicalRuns,
  decodeMask,
  decodeRuns,
  decodeRunsWindow,
  encodeMask,
  encodeRuns,
  rleArea,
  rleToBbox,
  runsFromString,
  runsToString,
  toRuns,
} from '../../src-main/coco/rle.js';
import { iouOfRuns, mergeRuns, rleIou } from '../../src-main/coco/rle-merge.js';

/** Row-major uint8[h, w] from rows of '0'/'1'. */
function maskFromRows(rows: string[]): { mask: Uint8Array; height: number; width: number } {
  const height = rows.length;
  const width = rows[0].length;
  return { mask: Uint8Array.from(rows.join(''), (c) => (c === '1' ? 1 : 0)), height, width };
}

function randomMask(height: number, width: number, seed: number, density: number): Uint8Array {
  let state = seed;
  const mask = new Uint8Array(height * width);
  for (let i = 0; i < mask.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    mask[i] = state / 2147483648 < density ? 1 : 0;
  }
  return mask;
}

/** A ring: a filled disc with a smaller disc removed, so the mask has a hole. */
function ringMask(height: number, width: number, cx: number, cy: number, outer: number, inner: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d2 = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2;
      mask[y * width + x] = d2 < outer * outer && d2 >= inner * inner ? 1 : 0;
    }
  }
  return mask;
}

/** The bbox and area straight from the pixels, without RLE. */
function directBboxAndArea(mask: Uint8Array, height: number, width: number): { bbox: number[]; area: number } {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  let area = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      area++;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  return { bbox: area === 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1], area };
}

describe('encodeMask', () => {
  it('writes column-major runs that start with background, as derived by hand', () => {
    // Read down each column: col0 0,0,1  col1 1,1,1  col2 1,0,0  col3 0,0,0
    // -> 0 0 | 1 1 1 1 1 | 0 0 0 0 0  -> runs [2, 5, 5] -> characters 48+2, 48+5, 48+5.
    const { mask, height, width } = maskFromRows(['0110', '0100', '1100']);
    assert.deepEqual([...encodeRuns(mask, height, width).counts], [2, 5, 5]);
    assert.deepEqual(encodeMask(mask, height, width), { size: [3, 4], counts: '255' });
  });

  it('writes a leading zero run when the first pixel is set', () => {
    assert.deepEqual(encodeMask(Uint8Array.of(1), 1, 1), { size: [1, 1], counts: '01' });
  });

  it('encodes empty and full masks as one run and as [0, all]', () => {
    assert.deepEqual(encodeMask(new Uint8Array(15), 3, 5), { size: [3, 5], counts: '?' }); // 48 + 15
    assert.deepEqual(encodeMask(new Uint8Array(15).fill(1), 3, 5), { size: [3, 5], counts: '0?' });
  });

  it('stores runs after the third as deltas, with 5-bit groups and a sign bit', () => {
    // 2x17 mask, foreground at column-major positions 1, 2 and 33 -> runs [1, 2, 30, 1].
    // 1 -> '1'; 2 -> '2'; 30 = 0b11110 has bit 4 set, so it continues: 30|0x20 = 62 -> 'n', then 0 -> '0';
    // run 3 is stored as 1 - 2 = -1: low 5 bits 31 with the sign bit set and nothing left -> 48+31 = 'O'.
    const mask = new Uint8Array(2 * 17);
    mask[1 * 17 + 0] = 1; // position 1: x 0, y 1
    mask[0 * 17 + 1] = 1; // position 2: x 1, y 0
    mask[1 * 17 + 16] = 1; // position 33: x 16, y 1
    assert.deepEqual([...encodeRuns(mask, 2, 17).counts], [1, 2, 30, 1]);
    assert.equal(encodeMask(mask, 2, 17).counts, '12n0O');
    assert.deepEqual([...runsFromString('12n0O', 2, 17).counts], [1, 2, 30, 1]);
  });

  it('treats any nonzero byte as foreground and reads masks at any byte offset', () => {
    const height = 7;
    const width = 13;
    const binary = randomMask(height, width, 3, 0.4);
    const scaled = Uint8Array.from(binary, (v) => v * 255);
    const shifted = new Uint8Array(height * width + 3).subarray(3);
    shifted.set(binary);
    const expected = encodeMask(binary, height, width);
    assert.deepEqual(encodeMask(scaled, height, width), expected);
    assert.deepEqual(encodeMask(shifted, height, width), expected);
  });
});

describe('strings written by pycocotools', () => {
  // From cocoapi's results/instances_val2014_fakesegm100_results.json (written by pycocotools' mask.encode).
  // Area and bbox as cocoapi's maskApi.c (rleArea, rleToBbox) computes them, compiled from source.
  const fromCocoapi = { size: [426, 640] as [number, number], counts: 'Yj\\43Q=6K5O10O1000O1000HXYi3' };

  it('decodes and re-encodes to the identical string', () => {
    const mask = decodeMask(fromCocoapi);
    assert.equal(encodeMask(mask, 426, 640).counts, fromCocoapi.counts);
  });

  it('gives pycocotools area and bbox, which match the decoded pixels', () => {
    assert.equal(rleArea(fromCocoapi), 120);
    assert.deepEqual(rleToBbox(fromCocoapi), [338, 200, 10, 16]);
    const direct = directBboxAndArea(decodeMask(fromCocoapi), 426, 640);
    assert.deepEqual(direct, { bbox: [338, 200, 10, 16], area: 120 });
  });

  it('decodes the runs maskApi.c decodes', () => {
    const runs = toRuns(fromCocoapi);
    assert.deepEqual(
      [...runs.counts],
      [144201, 3, 417, 9, 412, 14, 411, 15, 411, 14, 412, 14, 412, 14, 411, 15, 411, 15, 411, 7, 124611],
    );
  });
});

describe('round trips', () => {
  const cases: [string, number, number, Uint8Array][] = [
    ['a ring with a hole', 40, 50, ringMask(40, 50, 25, 20, 15, 6)],
    ['a ring cut by every border', 20, 20, ringMask(20, 20, 10, 10, 14, 4)],
    ['a single pixel in a corner', 9, 11, (() => { const m = new Uint8Array(99); m[98] = 1; return m; })()],
    ['a single pixel inside', 9, 11, (() => { const m = new Uint8Array(99); m[4 * 11 + 5] = 1; return m; })()],
    ['an empty mask', 6, 7, new Uint8Array(42)],
    ['a full mask', 6, 7, new Uint8Array(42).fill(1)],
    ['one row', 1, 37, randomMask(1, 37, 11, 0.5)],
    ['one column', 37, 1, randomMask(37, 1, 12, 0.5)],
    ['noise at an odd size', 31, 17, randomMask(31, 17, 13, 0.5)],
    ['noise at a word-aligned width', 24, 32, randomMask(24, 32, 14, 0.3)],
    ['an empty 0x0 mask', 0, 0, new Uint8Array(0)],
  ];
  for (const [name, height, width, mask] of cases) {
    it(`decode(encode(mask)) is the mask: ${name}`, () => {
      const rle = encodeMask(mask, height, width);
      assert.deepEqual(decodeMask(rle), mask);
      assert.deepEqual(runsFromString(rle.counts, height, width).counts, encodeRuns(mask, height, width).counts);
    });
    it(`area and bbox equal the pixels' own: ${name}`, () => {
      const runs = encodeRuns(mask, height, width);
      const direct = directBboxAndArea(mask, height, width);
      assert.equal(areaOfRuns(runs), direct.area);
      assert.deepEqual(bboxOfRuns(runs), direct.bbox);
    });
  }

  it('decodes a window of the mask', () => {
    const mask = randomMask(23, 19, 5, 0.5);
    const window = decodeRunsWindow(encodeRuns(mask, 23, 19), [3, 4, 10, 15]);
    for (let y = 0; y < 15; y++) {
      for (let x = 0; x < 10; x++) assert.equal(window[y * 10 + x], mask[(y + 4) * 19 + x + 3]);
    }
  });

  it('string codec round-trips runs of any size, including deltas beyond 5 bits', () => {
    const counts = [0, 1, 31, 32, 1023, 5, 1 << 20, 3, 70000, 1];
    assert.deepEqual([...runsFromString(runsToString(counts), 1, counts.reduce((a, b) => a + b)).counts], counts);
  });
});

describe('reading RLE objects', () => {
  it('accepts uncompressed counts', () => {
    const { mask, height, width } = maskFromRows(['0110', '0100', '1100']);
    assert.deepEqual(decodeMask({ size: [3, 4], counts: [2, 5, 5] }), mask);
    assert.equal(rleArea({ size: [height, width], counts: [2, 5, 5] }), 5);
  });

  it('rejects characters outside the alphabet, a cut-off number and runs that do not cover the mask', () => {
    assert.throws(() => toRuns({ size: [3, 5], counts: '?~' }), { code: 'INVALID_COCO', message: /character "~"/ });
    assert.throws(() => toRuns({ size: [2, 17], counts: '12n' }), { code: 'INVALID_COCO', message: /middle of a number/ });
    assert.throws(() => toRuns({ size: [3, 6], counts: '?' }), { code: 'INVALID_COCO', message: /cover 15 pixels but its size 3x6 has 18/ });
    assert.throws(() => toRuns({ size: [3, 5], counts: [10, -1, 6] }), { code: 'INVALID_COCO' });
  });

  it('folds empty runs away into the form rleEncode writes', () => {
    const runs = { height: 1, width: 10, counts: Uint32Array.of(2, 0, 3, 4, 0, 1, 0) };
    assert.deepEqual([...canonicalRuns(runs).counts], [5, 5]);
    assert.deepEqual(decodeRuns(canonicalRuns(runs)), decodeRuns(runs));
  });

  it('bbox of a run that wraps into the next column spans the full height, as pycocotools says', () => {
    // Foreground at positions 1..2 of a 2x17 mask: (x0, y1) and (x1, y0): pycocotools reports y 0..1.
    assert.deepEqual(bboxOfRuns(runsFromString('12n0O', 2, 17)), [0, 0, 17, 2]);
  });
});

describe('merge and IoU', () => {
  const height = 21;
  const width = 18;
  const a = randomMask(height, width, 21, 0.4);
  const b = randomMask(height, width, 22, 0.4);

  it('union and intersection match the pixelwise or / and', () => {
    const union = decodeRuns(mergeRuns([encodeRuns(a, height, width), encodeRuns(b, height, width)]));
    const intersection = decodeRuns(mergeRuns([encodeRuns(a, height, width), encodeRuns(b, height, width)], true));
    assert.deepEqual(union, a.map((v, i) => v | b[i]));
    assert.deepEqual(intersection, a.map((v, i) => v & b[i]));
  });

  it('merge output is canonical, identical to encoding the merged pixels', () => {
    const union = mergeRuns([encodeRuns(a, height, width), encodeRuns(b, height, width)]);
    assert.deepEqual(union.counts, encodeRuns(a.map((v, i) => v | b[i]), height, width).counts);
  });

  it('IoU matches the pixel count ratio', () => {
    let inter = 0;
    let uni = 0;
    a.forEach((v, i) => {
      inter += v & b[i];
      uni += v | b[i];
    });
    assert.equal(rleIou(encodeMask(a, height, width), encodeMask(b, height, width)), inter / uni);
    assert.equal(iouOfRuns(encodeRuns(a, height, width), encodeRuns(a, height, width)), 1);
    assert.equal(iouOfRuns(encodeRuns(new Uint8Array(4), 2, 2), encodeRuns(new Uint8Array(4), 2, 2)), 0);
  });
});
