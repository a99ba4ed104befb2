// electron-builder configuration for `npm run dist`: AppImage + deb, NSIS, dmg; native modules rebuilt and unpacked.
import type { Configuration } from 'electron-builder';

/**
 * Native modules load .node files (and ONNX Runtime its shared libraries, sharp its libvips),
 * which cannot be opened from inside an asar archive.
 */
const nativeModules = ['better-sqlite3', 'onnxruntime-node', 'sharp', '@img', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

const config: Configuration = {
  appId: 'org.maskloop.app',
  productName: 'MaskLoop',
  copyright: 'Copyright © MaskLoop contributors',
  // Set explicitly: electron is an optionalDependency that may be absent where the config is read.
  electronVersion: '45.3.4',
  directories: { output: 'out', buildResources: 'resources' },
  // dist-main/ holds the bundled main process (main.js) and the sandboxed preload (preload.cjs);
  // dist-renderer/ the Vite build of src-renderer/.
  files: ['package.json', 'dist-main/**/*', 'dist-renderer/**/*', 'resources/**/*', '!**/*.map'],
  asar: true,
  // The embedding worker too: worker threads read their script from disk (desktop-build.ts inlines its pure-JS imports).
  asarUnpack: [...nativeModules.map((name) => `node_modules/${name}/**/*`), 'dist-main/embed-worker.js'],
  npmRebuild: true,
  // better-sqlite3 is rebuilt for Electron's ABI; onnxruntime-node and sharp ship N-API binaries
  // (ABI-stable, nothing to rebuild); tfjs-node rebuilds its binding against libtensorflow.
  buildDependenciesFromSource: false,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Graphics',
    synopsis: 'Label images with Segment Anything and fine-tune it on your corrections',
  },
  deb: { depends: ['libnss3', 'libgtk-3-0', 'libxss1', 'libasound2'] },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
  mac: { target: ['dmg'], category: 'public.app-category.graphics-design' },
  dmg: { title: 'MaskLoop' },
  fileAssociations: [{ ext: 'maskloop', name: 'MaskLoop project', role: 'Editor' }],
};

export default config;
