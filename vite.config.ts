// Builds the Svelte renderer (src-renderer/) into dist-renderer/, with relative asset paths so the
// same build loads from the Electron protocol and from browser mode's HTTP server.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: path.join(root, 'src-renderer'),
  base: './',
  plugins: [svelte()],
  build: {
    outDir: path.join(root, 'dist-renderer'),
    emptyOutDir: true,
    target: 'es2022',
  },
});
