import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseLevel, pyramidLevels, tilesOfLevel, TILE_SIZE, visibleTiles } from '../../../src-renderer/canvas/tiles.js';

test('a 10000x6000 image gets halved levels down to a long side of at most 512', () => {
  const levels = pyramidLevels({ width: 10000, height: 6000 });
  assert.deepEqual(
    levels.map((level) => [level.factor, level.width, level.height]),
    [
      [1, 10000, 6000],
      [2, 5000, 3000],
      [4, 2500, 1500],
      [8, 1250, 750],
      [16, 625, 375],
      [32, 313, 188],
    ],
  );
});

test('a small image is its own only level', () => {
  assert.equal(pyramidLevels({ width: 400, height: 300 }).length, 1);
});

test('the level chosen gives at least one level pixel per device pixel', () => {
  const levels = pyramidLevels({ width: 10000, height: 6000 });
  assert.equal(chooseLevel(levels, 1).factor, 1);
  assert.equal(chooseLevel(levels, 2).factor, 1);
  assert.equal(chooseLevel(levels, 0.3).factor, 2);
  assert.equal(chooseLevel(levels, 0.1).factor, 8);
  assert.equal(chooseLevel(levels, 0.001).factor, 32);
});

test('tiles cover the level exactly, the last row and column cut to the image', () => {
  const image = { width: 5000, height: 3001 };
  const [full, half] = pyramidLevels(image);
  const tiles = tilesOfLevel(full, image);
  assert.equal(tiles.length, 3 * 2);
  assert.ok(tiles.every((tile) => tile.width <= TILE_SIZE && tile.height <= TILE_SIZE));
  assert.equal(tiles.reduce((area, tile) => area + tile.width * tile.height, 0), 5000 * 3001);
  // Level 1 is 2500x1501 pixels; its 1501 rows stand for 3002 image rows, one more than the image has.
  const halfTiles = tilesOfLevel(half, image);
  assert.deepEqual(halfTiles.at(-1)!.imageRect, { x: 4096, y: 0, width: 904, height: 3001 });
});

test('only tiles that intersect the visible rect are drawn', () => {
  const image = { width: 6000, height: 4000 };
  const tiles = tilesOfLevel(pyramidLevels(image)[0], image);
  const visible = visibleTiles(tiles, { x: 2100, y: 100, width: 500, height: 500 });
  assert.deepEqual(visible.map((tile) => [tile.x, tile.y]), [[2048, 0]]);
});
