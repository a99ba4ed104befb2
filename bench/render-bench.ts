// Render speed of the labelling canvas: a 4000x3000 image with 50 mask overlays, panned in headless Chromium
// with the renderer's real drawing layer (bundled by Vite), median frame time; the target is <= 16 ms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { RenderBenchOptions } from '../src-renderer/canvas/render-bench-scene.js';
import { launchChromium } from '../test/e2e/chromium.js';
import { median, round } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VIEWPORT = { width: 1280, height: 800 };
const OPTIONS: RenderBenchOptions = { imageWidth: 4000, imageHeight: 3000, overlays: 50, framesPerZoom: 30 };

export async function benchRender(): Promise<{ render_frame_ms: number }> {
  const bundle = await bundleBenchScene();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    await page.setContent(`<canvas id="stage" style="display:block;width:${VIEWPORT.width}px;height:${VIEWPORT.height}px"></canvas>`);
    await page.addScriptTag({ path: bundle });
    const times = await page.evaluate(
      (options) => window.MaskLoopRenderBench.runRenderBench(document.getElementById('stage') as HTMLCanvasElement, options),
      OPTIONS,
    );
    return { render_frame_ms: round(median(times)) };
  } finally {
    await browser.close();
    fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
  }
}

declare global {
  interface Window {
    MaskLoopRenderBench: typeof import('../src-renderer/canvas/render-bench-scene.js');
  }
}

/** The page-side code as one classic script (IIFE) in a temporary folder. */
async function bundleBenchScene(): Promise<string> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-render-bench-'));
  await build({
    configFile: false,
    logLevel: 'warn',
    root: path.join(repoRoot, 'src-renderer'),
    build: {
      outDir,
      emptyOutDir: false,
      minify: false,
      lib: { entry: path.join(repoRoot, 'src-renderer/canvas/render-bench-scene.ts'), formats: ['iife'], name: 'MaskLoopRenderBench', fileName: () => 'render-bench.js' },
    },
  });
  return path.join(outDir, 'render-bench.js');
}
