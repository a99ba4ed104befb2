// Builds the renderer (vite.config.ts -> dist-renderer/) when the build is missing or older than its sources.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function newestSource(folder: string): number {
  return fs.readdirSync(folder, { withFileTypes: true }).reduce((newest, entry) => {
    const full = path.join(folder, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }, 0);
}

/** What the bundle is made of besides src-renderer/: the shared contract, client and RLE code. */
const SHARED_SOURCES = ['vite.config.ts', 'src-main/api/contract.ts', 'src-main/api/client.ts', 'src-main/api/websocket-transport.ts', 'src-main/coco/rle.ts', 'src-main/errors.ts'];

export async function ensureRendererBuilt(): Promise<void> {
  const index = path.join(repoRoot, 'dist-renderer', 'index.html');
  const shared = SHARED_SOURCES.map((file) => fs.statSync(path.join(repoRoot, file)).mtimeMs);
  const sources = Math.max(newestSource(path.join(repoRoot, 'src-renderer')), ...shared);
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  await build({ configFile: path.join(repoRoot, 'vite.config.ts'), logLevel: 'warn' });
}
