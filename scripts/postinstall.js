// Optional native parts after `npm install`: ONNX Runtime's CUDA provider where there is an NVIDIA GPU,
// then one line per optional part saying what is there and what MaskLoop uses instead. Never fails the install.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const CUDA_INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

function packageDir(name) {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function hasNvidiaDriver() {
  return process.platform === 'linux' && process.arch === 'x64' && fs.existsSync('/proc/driver/nvidia/version');
}

function cudaProviderPath(ortDir) {
  return path.join(ortDir, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
}

/** .npmrc skips ONNX Runtime's own download so offline installs succeed; with a GPU, try it here instead. */
function onnxRuntimeCuda() {
  const ortDir = packageDir('onnxruntime-node');
  if (!ortDir) return 'ONNX Runtime: not installed (npm install did not finish?)';
  if (fs.existsSync(cudaProviderPath(ortDir))) return 'ONNX Runtime CUDA provider: installed -> SAM runs on the GPU';
  if (!hasNvidiaDriver()) return 'ONNX Runtime CUDA provider: not needed (no NVIDIA GPU on Linux x64) -> SAM runs on the CPU';
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' };
  delete env.npm_config_onnxruntime_node_install;
  const result = spawnSync(process.execPath, [path.join(ortDir, 'script', 'install.js')], {
    cwd: ortDir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: CUDA_INSTALL_TIMEOUT_MS,
  });
  if (result.status === 0 && fs.existsSync(cudaProviderPath(ortDir))) return 'ONNX Runtime CUDA provider: downloaded -> SAM runs on the GPU';
  const errorLine = result.stderr?.toString().split('\n').find((line) => /^\w*Error\b/.test(line));
  const reason = result.error?.message ?? errorLine ?? `exit ${result.status}`;
  return `ONNX Runtime CUDA provider: download failed (${reason}) -> SAM runs on the CPU; run "ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node" when online`;
}

function electronBinary() {
  try {
    const binary = require('electron');
    if (typeof binary === 'string' && fs.existsSync(binary)) return 'Electron: installed -> "npm start" opens the desktop app';
  } catch {
    // The package is absent, or present without its downloaded binary: both mean browser mode.
  }
  return 'Electron: not installed (offline install) -> "npm start" opens browser mode; the desktop app needs "npm install electron" with internet';
}

function tensorflowNative() {
  for (const [name, engine] of [
    ['@tensorflow/tfjs-node-gpu', 'TensorFlow GPU'],
    ['@tensorflow/tfjs-node', 'TensorFlow CPU (native)'],
  ]) {
    const dir = packageDir(name);
    // The binding (lib/napi-vN/) is what the package's own install downloads; without it the package is unusable.
    const bindings = dir && fs.existsSync(path.join(dir, 'lib')) ? fs.readdirSync(path.join(dir, 'lib')) : [];
    if (bindings.some((entry) => entry.startsWith('napi-v'))) return `TensorFlow.js native (${name}): installed -> fine-tuning uses ${engine}`;
  }
  return 'TensorFlow.js native (tfjs-node, tfjs-node-gpu): not installed (offline install) -> fine-tuning uses TensorFlow.js WebAssembly/CPU (slower)';
}

for (const check of [electronBinary, tensorflowNative, onnxRuntimeCuda]) {
  try {
    console.log(`maskloop: ${check()}`);
  } catch (error) {
    console.log(`maskloop: ${check.name}: could not check (${error.message})`);
  }
}
