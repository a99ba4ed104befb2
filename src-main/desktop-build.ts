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
    entryPoints: [path.join(root, 'src-main/main.ts')],
    outfile: path.join(outDir, 'main.js'),
    format: 'esm',
    // Packages load from node_modules (inside the asar; native ones unpacked beside it).
    packages: 'external',
  });
  await build({
    ...common,
    // embed-worker-client.ts starts dist-main/embed-worker.js. It is unpacked from the asar (worker threads
    // load their script from disk), so everything but the native packages, unpacked too, is inlined.
    entryPoints: [path.join(root, 'src-main/api/embed-worker.ts')],
    outfile: path.join(outDir, 'embed-worker.js'),
    format: 'esm',
    external: ['onnxruntime-node', 'sharp'],
    // protobufjs and other CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as maskloopCreateRequire } from 'node:module'; const require = maskloopCreateRequire(import.meta.url);" },
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
