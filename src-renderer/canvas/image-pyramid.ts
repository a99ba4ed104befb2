// The displayed image as tile bitmaps per pyramid level, built in the browser with createImageBitmap,
// coarsest level first so something shows at once; `onTile` asks for a redraw as tiles arrive.
import type { Size } from './geometry.js';
import type { SceneImage } from './scene-renderer.js';
import { pyramidLevels, tilesOfLevel, type PyramidLevel, type TileSpec } from './tiles.js';

type Tile = TileSpec & { source: ImageBitmap | null };

export class ImagePyramid implements SceneImage<ImageBitmap> {
  readonly size: Size;
  readonly levels: readonly PyramidLevel[];
  private readonly tilesByLevel: Tile[][];
  private closed = false;
  private built: Promise<void> = Promise.resolve();

  private constructor(size: Size) {
    this.size = size;
    this.levels = pyramidLevels(size);
    this.tilesByLevel = this.levels.map((level) => tilesOfLevel(level, size).map((tile) => ({ ...tile, source: null })));
  }

  /**
   * Starts building from a decoded image; the pyramid is usable (and drawn from coarse tiles) at once.
   * `size` is the image's size in mask pixels; `sourceSize` the decoded bitmap's (they differ when the
   * display copy is smaller than the original).
   */
  static build(image: ImageBitmapSource, size: Size, sourceSize: Size, onTile: () => void, onError: (error: unknown) => void): ImagePyramid {
    const pyramid = new ImagePyramid(size);
    pyramid.built = pyramid.fill(image, sourceSize, onTile).catch(onError);
    return pyramid;
  }

  /** Resolves when every tile of every level is ready (or building stopped). */
  whenBuilt(): Promise<void> {
    return this.built;
  }

  tiles(level: number): readonly Tile[] {
    return this.tilesByLevel[level];
  }

  /** Frees the bitmaps (GPU memory) when the image is left. */
  close(): void {
    this.closed = true;
    for (const tile of this.tilesByLevel.flat()) tile.source?.close();
  }

  private async fill(image: ImageBitmapSource, sourceSize: Size, onTile: () => void): Promise<void> {
    const sx = sourceSize.width / this.size.width;
    const sy = sourceSize.height / this.size.height;
    for (const level of [...this.levels].reverse()) {
      for (const tile of this.tilesByLevel[level.index]) {
        const { x, y, width, height } = tile.imageRect;
        const bitmap = await createImageBitmap(image, x * sx, y * sy, width * sx, height * sy, {
          resizeWidth: tile.width,
          resizeHeight: tile.height,
          resizeQuality: level.index === 0 ? 'pixelated' : 'medium',
        });
        if (this.closed) {
          bitmap.close();
          return;
        }
        tile.source = bitmap;
        onTile();
      }
    }
  }
}
