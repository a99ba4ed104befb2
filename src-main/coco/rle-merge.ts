// Combining COCO RLE masks without decoding them, ported from pycocotools' common/maskApi.c (rleMerge, rleIou).
import { MaskLoopError } from '../errors.js';
import { areaOfRuns, toRuns, type CocoRle, type RunLengths, type UncompressedRle } from './rle.js';

/** rleMerge: union (or intersection) of masks of one size, walking the runs without decoding. */
export function mergeRuns(masks: readonly RunLengths[], intersect = false): RunLengths {
  if (masks.length === 0) return { height: 0, width: 0, counts: new Uint32Array(0) };
  const { height, width } = masks[0];
  let merged = masks[0].counts;
  for (let i = 1; i < masks.length; i++) {
    const b = masks[i];
    if (b.height !== height || b.width !== width) {
      throw new MaskLoopError('INVALID_ARGUMENT', `Cannot merge a ${b.height}x${b.width} mask into a ${height}x${width} one.`);
    }
    merged = mergeTwo(merged, b.counts, intersect);
  }
  return { height, width, counts: masks.length === 1 ? merged.slice() : merged };
}

function mergeTwo(a: Uint32Array, b: Uint32Array, intersect: boolean): Uint32Array {
  const out: number[] = [];
  let ca = a[0];
  let cb = b[0];
  let va = false;
  let vb = false;
  let v = false;
  let ia = 1;
  let ib = 1;
  let run = 0;
  let remaining = 1;
  while (remaining > 0) {
    const c = Math.min(ca, cb);
    run += c;
    remaining = 0;
    ca -= c;
    if (!ca && ia < a.length) {
      ca = a[ia++];
      va = !va;
    }
    remaining += ca;
    cb -= c;
    if (!cb && ib < b.length) {
      cb = b[ib++];
      vb = !vb;
    }
    remaining += cb;
    const previous: boolean = v;
    v = intersect ? va && vb : va || vb;
    if (v !== previous || remaining === 0) {
      out.push(run);
      run = 0;
    }
  }
  return Uint32Array.from(out);
}

/** rleIou for one non-crowd pair: intersection over union of two masks of one size (0 when both are empty). */
export function iouOfRuns(a: RunLengths, b: RunLengths): number {
  if (a.height !== b.height || a.width !== b.width) {
    throw new MaskLoopError('INVALID_ARGUMENT', `Cannot compare a ${a.height}x${a.width} mask with a ${b.height}x${b.width} one.`);
  }
  const intersection = areaOfRuns(mergeRuns([a, b], true));
  const union = areaOfRuns(mergeRuns([a, b], false));
  return intersection === 0 ? 0 : intersection / union;
}

export function rleIou(a: CocoRle | UncompressedRle, b: CocoRle | UncompressedRle): number {
  return iouOfRuns(toRuns(a), toRuns(b));
}
