// The live loss plot's geometry: loss values to an SVG polyline in a fixed box, y scaled to the values' range.

export interface LossPlotGeometry {
  /** SVG `points` attribute: "x,y x,y ...". */
  points: string;
  /** The loss at the top and bottom edges of the plot area. */
  yMax: number;
  yMin: number;
}

/**
 * in: losses in step order; width/height of the SVG box; padding around the plot area (all in SVG units).
 * The first step sits at the left edge, the last at the right; equal values (or a single one) give a flat
 * line through the middle.
 */
export function lossPlotGeometry(losses: readonly number[], width: number, height: number, padding = 4): LossPlotGeometry {
  const finite = losses.filter(Number.isFinite);
  if (finite.length === 0) return { points: '', yMax: 0, yMin: 0 };
  const yMin = Math.min(...finite);
  const yMax = Math.max(...finite);
  const innerWidth = width - 2 * padding;
  const innerHeight = height - 2 * padding;
  const yOf = (loss: number) => padding + (yMax === yMin ? 0.5 : 1 - (loss - yMin) / (yMax - yMin)) * innerHeight;
  const series = finite.length === 1 ? [finite[0], finite[0]] : finite;
  const points = series.map((loss, i) => `${round2(padding + (i / (series.length - 1)) * innerWidth)},${round2(yOf(loss))}`);
  return { points: points.join(' '), yMax, yMin };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
