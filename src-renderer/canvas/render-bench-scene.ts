// The render benchmark's page side (bundled by bench/render-bench.ts): a generated 4000x3000 image with 50
// mask overlays drawn by the real drawing layer (pyramid, overlay cache, controller) while a scripted pan runs.
import { encodeMask } from '../../src-main/coco/rle.js';
import { CanvasController } from './canvas-controller.js';
import { ImagePyramid } from './image-pyramid.js';
import { OverlayCache } from './overlay-cache.js';
import type { SceneOverlay } from './scene-renderer.js';

export interface RenderBenchOptions {
  imageWidth: number;
  imageHeight: number;
  overlays: number;
  /** Frames timed at each of the two zooms (fit, then 1:1). */
  framesPerZoom: number;
}

/** Milliseconds of each frame: the pan step, the draw, and the flush of the canvas's pending raster work. */
export async function runRenderBench(canvas: HTMLCanvasElement, options: RenderBenchOptions): Promise<number[]> {
  const size = { width: options.imageWidth, height: options.imageHeight };
  const pyramid = ImagePyramid.build(await syntheticPage(size), size, size, () => {}, (error) => {
    throw error;
  });
  await pyramid.whenBuilt();
  const overlays = syntheticOverlays(size, options.overlays);
  const controller = new CanvasController(canvas, { onIntent: () => {}, onZoom: () => {} });
  controller.setScene({ image: pyramid, overlays, draft: null, prompts: { points: [], box: null, dragBox: null }, brushCursor: null });
  const probe = canvas.getContext('2d')!;
  const times: number[] = [];
  for (const zoom of ['fit', '1:1'] as const) {
    if (zoom === 'fit') controller.fit();
    else controller.oneToOne();
    controller.renderNow();
    for (let frame = 0; frame < options.framesPerZoom; frame++) {
      // A back-and-forth pan of 12 CSS pixels per frame, about a brisk drag.
      const direction = Math.floor(frame / 10) % 2 === 0 ? 1 : -1;
      const started = performance.now();
      controller.panBy(12 * direction, 5 * direction);
      controller.renderNow();
      probe.getImageData(0, 0, 1, 1);
      times.push(performance.now() - started);
      await new Promise(requestAnimationFrame);
    }
  }
  controller.destroy();
  pyramid.close();
  return times;
}

/** A page-like image: paper gradient, text-like lines, and round and square stamps. */
async function syntheticPage(size: { width: number; height: number }): Promise<ImageBitmap> {
  const canvas = new OffscreenCanvas(size.width, size.height);
  const context = canvas.getContext('2d')!;
  const paper = context.createLinearGradient(0, 0, size.width, size.height);
  paper.addColorStop(0, '#f4f1e8');
  paper.addColorStop(1, '#e2dccb');
  context.fillStyle = paper;
  context.fillRect(0, 0, size.width, size.height);
  context.fillStyle = '#333';
  for (let y = 120; y < size.height - 100; y += 48) context.fillRect(150, y, size.width - 300 - ((y * 37) % 900), 14);
  context.strokeStyle = '#c0392b';
  context.lineWidth = 12;
  for (let i = 0; i < 30; i++) {
    context.beginPath();
    context.arc(300 + ((i * 911) % (size.width - 600)), 300 + ((i * 577) % (size.height - 600)), 90 + (i % 4) * 30, 0, 2 * Math.PI);
    context.stroke();
  }
  return createImageBitmap(canvas);
}

/** `count` elliptic masks spread over the image, each encoded as COCO RLE and decoded and tinted by the overlay cache. */
function syntheticOverlays(size: { width: number; height: number }, count: number): SceneOverlay<OffscreenCanvas>[] {
  const cache = new OverlayCache();
  const mask = new Uint8Array(size.width * size.height);
  const overlays: SceneOverlay<OffscreenCanvas>[] = [];
  for (let id = 1; id <= count; id++) {
    mask.fill(0);
    const cx = 200 + ((id * 733) % (size.width - 400));
    const cy = 200 + ((id * 419) % (size.height - 400));
    const rx = 60 + ((id * 37) % 140);
    const ry = 50 + ((id * 53) % 120);
    for (let y = Math.max(0, cy - ry); y < Math.min(size.height, cy + ry); y++) {
      for (let x = Math.max(0, cx - rx); x < Math.min(size.width, cx + rx); x++) {
        if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) mask[y * size.width + x] = 1;
      }
    }
    const rle = encodeMask(mask, size.height, size.width);
    const overlay = cache.overlay({ id, mask: rle, color: `#${((id * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}`, selected: id === 1 });
    if (overlay) overlays.push(overlay);
  }
  return overlays;
}
