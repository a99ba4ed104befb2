// Large images on screen: a pyramid of halved levels cut into tiles, the level that matches the zoom, the tiles in view.
import { rectsIntersect, type Rect, type Size } from './geometry.js';

/** No tile is larger than this on a side, well under every GPU's texture limit. */
export const TILE_SIZE = 2048;
/** The pyramid stops once a level's long side is at most this. */
export const SMALLEST_LEVEL_SIDE = 512;

export interface PyramidLevel {
  /** 0 is the full image; level k is downscaled by 2^k. */
  index: number;
  /** Image pixels per level pixel (2^index). */
  factor: number;
  width: number;
  height: number;
}

export interface TileSpec {
  level: number;
  /** In level pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The same area in full-image pixels (where the tile is drawn). */
  imageRect: Rect;
}

export function pyramidLevels(image: Size): PyramidLevel[] {
  const levels: PyramidLevel[] = [{ index: 0, factor: 1, width: image.width, height: image.height }];
  while (Math.max(levels.at(-1)!.width, levels.at(-1)!.height) > SMALLEST_LEVEL_SIDE) {
    const index = levels.length;
    const factor = 2 ** index;
    levels.push({ index, factor, width: Math.max(1, Math.ceil(image.width / factor)), height: Math.max(1, Math.ceil(image.height / factor)) });
  }
  return levels;
}

/**
 * The coarsest level that still gives at least one level pixel per device pixel, so zoomed-out views
 * read a small, pre-filtered level (no aliasing, little work) and zoomed-in views read full resolution.
 */
export function chooseLevel(levels: readonly PyramidLevel[], devicePixelsPerImagePixel: number): PyramidLevel {
  let chosen = levels[0];
  for (const level of levels) if (level.factor * devicePixelsPerImagePixel <= 1) chosen = level;
  return chosen;
}

export function tilesOfLevel(level: PyramidLevel, image: Size, tileSize = TILE_SIZE): TileSpec[] {
  const tiles: TileSpec[] = [];
  for (let y = 0; y < level.height; y += tileSize) {
    for (let x = 0; x < level.width; x += tileSize) {
      const width = Math.min(tileSize, level.width - x);
      const height = Math.min(tileSize, level.height - y);
      // The last row and column of a level may stand for less than `factor` image pixels: cut to the image.
      const imageRect = {
        x: x * level.factor,
        y: y * level.factor,
        width: Math.min(width * level.factor, image.width - x * level.factor),
        height: Math.min(height * level.factor, image.height - y * level.factor),
      };
      tiles.push({ level: level.index, x, y, width, height, imageRect });
    }
  }
  return tiles;
}

export function visibleTiles<Tile extends TileSpec>(tiles: readonly Tile[], visible: Rect): Tile[] {
  return tiles.filter((tile) => rectsIntersect(tile.imageRect, visible));
}
