// Bundles the Electron main process (dist-main/main.js and its embedding worker, ESM) and the sandboxed preload
// (dist-main/preload.cjs, CommonJS with its dependencies inlined); `npm start` runs it before Electron, `npm run dist` before packaging.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `outDir` defaults to `<root>/dist-main`, where package.json's "main" points. */
export async function buildDesktop({ root = repoRoot, outDir = path.join(root, 'dist-main') }: { root?: string; outDir?: string } = {}): Promise<void> {
  const common = { bundle: true, platform: 'node', target: 'node22', sourcemap: true, logLevel: 'warning' } as const;
  await build({
    ...common,
    // The embedding worker is its own file: embed-worker-client.ts starts dist-main/embed-worker.js.
    entryPoints: { main: path.join(root, 'src-main/main.ts'), 'embed-worker': path.join(root, 'src-main/api/embed-worker.ts') },
    outdir: outDir,
    format: 'esm',
    // Native and large packages load from node_modules (unpacked from the asar where native).
    packages: 'external',
  });
  await build({
    ...common,
    entryPoints: [path.join(root, 'src-main/preload.ts')],
    outfile: path.join(outDir, 'preload.cjs'),
    format: 'cjs',
    // A sandboxed preload can require only 'electron'; everything else is inlined.
    external: ['electron'],
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildDesktop();
  console.log('maskloop: built dist-main/main.js and dist-main/preload.cjs');
}
