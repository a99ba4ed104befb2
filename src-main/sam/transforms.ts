// The one place where images and coordinates change frame: original image pixels -> SAM's 1024 input frame (segment-anything utils/transforms.py).
import type { RgbImage } from './image-io.js';
import { resizeBilinear } from './resize.js';

/** SAM's input side: the longest image side is resized to this, the other side padded up to it. */
export const SAM_INPUT_SIZE = 1024;

/** An image size as [height, width], the order SAM uses everywhere. */
export type ImageSize = readonly [height: number, width: number];
/** A point [x, y]; which frame it is in is said by the function that takes or returns it. */
export type Point = [x: number, y: number];
/** A box [x0, y0, x1, y1] (top-left and bottom-right corners). */
export type Box = [x0: number, y0: number, x1: number, y1: number];

/** Size after ResizeLongestSide: the longest side becomes `longSide`, each side rounded half up. */
export function getPreprocessShape(oldHeight: number, oldWidth: number, longSide = SAM_INPUT_SIZE): [height: number, width: number] {
  const scale = (longSide * 1.0) / Math.max(oldHeight, oldWidth);
  return [Math.floor(oldHeight * scale + 0.5), Math.floor(oldWidth * scale + 0.5)];
}

/** ResizeLongestSide.apply_image: the image resized (Pillow bilinear) so that its longest side is 1024. */
export function applyImage(image: RgbImage): RgbImage {
  const [height, width] = getPreprocessShape(image.height, image.width);
  return resizeBilinear(image, width, height);
}

/** Points in original image pixels of an image of `originalSize` -> the same points in the 1024 frame. */
export function applyCoords(points: readonly Point[], originalSize: ImageSize): Point[] {
  const [oldHeight, oldWidth] = originalSize;
  const [newHeight, newWidth] = getPreprocessShape(oldHeight, oldWidth);
  return points.map(([x, y]) => [x * (newWidth / oldWidth), y * (newHeight / oldHeight)]);
}

/** Boxes in original image pixels -> the same boxes in the 1024 frame (both corners scaled as points). */
export function applyBoxes(boxes: readonly Box[], originalSize: ImageSize): Box[] {
  return boxes.map(([x0, y0, x1, y1]) => {
    const [[nx0, ny0], [nx1, ny1]] = applyCoords([[x0, y0], [x1, y1]], originalSize);
    return [nx0, ny0, nx1, ny1];
  });
}
