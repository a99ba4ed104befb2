// Picks the TensorFlow.js engine that trains the mask decoder: native CUDA, native CPU, WebAssembly or pure JavaScript.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MaskLoopError } from '../errors.js';
import { SAM_VARIANTS, type SamConfig } from '../sam/variants.js';
import { loadDecoderVariables, randomDecoderWeights } from './decoder-weights.js';
import { LOSS_TERMS, type LossConfig } from './losses.js';
import { DecoderOptimizer, DEFAULT_OPTIMIZER, trainStep, type TrainingSample } from './train-step.js';

export type Tf = typeof import('@tensorflow/tfjs');
export type EngineName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
export type EnginePreference = 'auto' | 'gpu' | 'native' | 'wasm' | 'cpu';

export interface TrainingEngine {
  tf: Tf;
  name: EngineName;
  /** One line for the app and the CLI: which engine runs and, when a faster one was passed over, why. */
  description: string;
}

/**
 * The order 'auto' tries. wasm before cpu: one vit_b-sized decoder training step (bench/train-bench.ts) took 1-3.7 s
 * on wasm and 52 s on the pure-JavaScript cpu backend on the 2-core development machine.
 */
const AUTO_ORDER: readonly EngineName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

const PREFERENCE_ENGINES: Record<EnginePreference, readonly EngineName[]> = {
  auto: AUTO_ORDER,
  gpu: ['tfjs-node-gpu'],
  native: ['tfjs-node'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

/** A decoder small enough to run one training step in milliseconds, with every op the real one uses. */
const PROBE_CONFIG: SamConfig = {
  ...SAM_VARIANTS.vit_b,
  variant: 'custom',
  promptEmbedDim: 32,
  maskInChans: 4,
  decoder: { ...SAM_VARIANTS.vit_b.decoder, mlpDim: 16, iouHeadHiddenDim: 8 },
};

/**
 * Loads TensorFlow.js on the first engine of the preference's list that loads and passes a probe (one training step
 * of a tiny decoder with every loss term, mask input and multimask, i.e. every kernel forward and backward).
 * An explicit preference that cannot be met throws MaskLoopError('TRAINING') saying what to install.
 */
export async function loadTrainingEngine(preference: EnginePreference = 'auto'): Promise<TrainingEngine> {
  const passedOver: string[] = [];
  for (const name of PREFERENCE_ENGINES[preference]) {
    const loaded = await tryEngine(name);
    if ('reason' in loaded) {
      passedOver.push(`${name}: ${loaded.reason}`);
      continue;
    }
    const description = passedOver.length > 0 ? `${loaded.description} (not used: ${passedOver.join('; ')})` : loaded.description;
    return { ...loaded, description };
  }
  throw new MaskLoopError(
    'TRAINING',
    `The ${preference} training engine cannot run here (${passedOver.join('; ')}). ` +
      'Install @tensorflow/tfjs-node (or -gpu with CUDA) for native speed, or choose the "auto" engine.',
  );
}

async function tryEngine(name: EngineName): Promise<TrainingEngine | { reason: string }> {
  let engine: TrainingEngine | { reason: string };
  try {
    engine = name === 'tfjs-node-gpu' || name === 'tfjs-node' ? await loadNative(name) : await loadPure(name);
  } catch (error) {
    return { reason: firstLine(error) };
  }
  if ('reason' in engine) return engine;
  const probeFailure = probeTraining(engine.tf);
  return probeFailure ? { reason: `a decoder training step failed: ${probeFailure}` } : engine;
}

async function loadNative(name: 'tfjs-node-gpu' | 'tfjs-node'): Promise<TrainingEngine | { reason: string }> {
  if (name === 'tfjs-node-gpu' && !cudaDevicePresent()) return { reason: 'no CUDA device found' };
  const packageName = `@tensorflow/${name}`;
  let module: { default?: unknown };
  try {
    module = (await import(packageName)) as { default?: unknown };
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    return { reason: missing ? `${packageName} is not installed` : `${packageName} did not load (${firstLine(error)})` };
  }
  // The package is CommonJS: its exports (the whole tfjs API, with the 'tensorflow' backend registered) are `default`.
  const tf = (module.default ?? module) as Tf;
  if (!(await tf.setBackend('tensorflow'))) return { reason: `${packageName} loaded but its backend did not start` };
  const device = name === 'tfjs-node-gpu' ? 'CUDA GPU' : 'CPU, multi-threaded';
  return { tf, name, description: `TensorFlow.js ${tf.version_core} native libtensorflow (${device})` };
}

async function loadPure(name: 'wasm' | 'cpu'): Promise<TrainingEngine | { reason: string }> {
  const tf: Tf = await import('@tensorflow/tfjs');
  if (name === 'cpu') {
    // The cpu backend prints a console banner recommending tfjs-node; MaskLoop says which engine runs itself.
    tf.env().set('PROD', true);
    if (!(await tf.setBackend('cpu'))) return { reason: 'the cpu backend did not start' };
    return { tf, name, description: `TensorFlow.js ${tf.version_core} pure-JavaScript CPU backend (slowest engine)` };
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!tf.findBackend('wasm')) {
    // In Node the .wasm binaries are read from the package's dist folder, next to its main file.
    const distFolder = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(`${distFolder}${path.sep}`);
  }
  const listenersBefore = processListeners();
  const started = await tf.setBackend('wasm');
  removeListenersAddedSince(listenersBefore);
  if (!started) return { reason: 'the WebAssembly backend did not start' };
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true ? 'multi-threaded' : 'single thread';
  return { tf, name, description: `TensorFlow.js ${tf.version_core} WebAssembly backend (${simd ? 'SIMD' : 'no SIMD'}, ${threads})` };
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
/** process seen as a plain EventEmitter, whose listeners() is not overloaded per event. */
const processEvents: NodeJS.EventEmitter = process;

function processListeners(): Map<string, unknown[]> {
  return new Map(PROCESS_EVENTS.map((event) => [event, processEvents.listeners(event)]));
}

/**
 * The wasm module (Emscripten) installs process handlers that rethrow every uncaught exception and unhandled
 * rejection, which would turn the app's own recoverable errors into crashes that print the module's source.
 */
function removeListenersAddedSince(before: Map<string, unknown[]>): void {
  for (const event of PROCESS_EVENTS) {
    for (const listener of processEvents.listeners(event)) {
      if (!before.get(event)?.includes(listener)) processEvents.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}

function cudaDevicePresent(): boolean {
  if (fs.existsSync('/proc/driver/nvidia/version')) return true;
  const smi = spawnSync('nvidia-smi', ['-L'], { timeout: 5000, encoding: 'utf8' });
  return smi.status === 0 && /GPU \d+/.test(smi.stdout);
}

/** Runs one training step of a tiny random decoder; returns why it failed (e.g. a kernel missing on this backend), or undefined. */
function probeTraining(tf: Tf): string | undefined {
  const model = loadDecoderVariables(tf, randomDecoderWeights(PROBE_CONFIG, 1), { trainable: 'decoder' });
  const optimizer = new DecoderOptimizer(tf, model.trainable, DEFAULT_OPTIMIZER);
  const side = 4;
  const maskPixels = 16 * side * side;
  const gtMask256 = Float32Array.from({ length: maskPixels }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const embedding = Float32Array.from({ length: PROBE_CONFIG.promptEmbedDim * side * side }, (_, i) => Math.sin(i));
  const samples: TrainingSample[] = [
    { embedding, pointCoords: Float32Array.of(10, 10, 50, 60), pointLabels: Float32Array.of(2, 3), gtMask256 },
    { embedding, pointCoords: Float32Array.of(20, 30, 0, 0), pointLabels: Float32Array.of(1, -1), gtMask256, maskInput: gtMask256, multimask: true },
  ];
  const everyTerm: LossConfig = { weights: Object.fromEntries(LOSS_TERMS.map((term) => [term, 1])) as LossConfig['weights'], bcePosWeight: 2 };
  try {
    const { total } = trainStep(tf, model, optimizer, samples, everyTerm);
    return Number.isFinite(total) ? undefined : `the loss was ${total}`;
  } catch (error) {
    return firstLine(error);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
