// The one module that imports onnxruntime-node: sessions on CUDA when it works, else CPU, and checked runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { MaskLoopError } from '../errors.js';

export type Provider = 'cuda' | 'cpu';
export type Feeds = Record<string, ort.Tensor>;
export { ort };

export interface SamSession {
  readonly session: ort.InferenceSession;
  readonly provider: Provider;
  readonly label: string;
}

/**
 * The CUDA provider ships separately from onnxruntime-node (downloaded at install time where there is
 * internet); its shared library next to the binding is the sign that it may be used.
 */
export function cudaProviderInstalled(): boolean {
  if (process.env.MASKLOOP_PROVIDER === 'cpu') return false;
  try {
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const binDir = path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
    const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return fs.existsSync(path.join(binDir, library));
  } catch {
    return false;
  }
}

/** Opens a model file (or bytes) on CUDA when available, falling back to CPU with all cores. */
export async function createSession(model: string | Uint8Array, label: string): Promise<SamSession> {
  const common: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: os.availableParallelism(),
  };
  if (cudaProviderInstalled()) {
    try {
      const session = await open(model, { ...common, executionProviders: ['cuda', 'cpu'] });
      return { session, provider: 'cuda', label };
    } catch (error) {
      console.warn(`maskloop: the CUDA provider could not start (${(error as Error).message}); using the CPU`);
    }
  }
  try {
    const session = await open(model, { ...common, executionProviders: ['cpu'] });
    return { session, provider: 'cpu', label };
  } catch (error) {
    throw new MaskLoopError('ONNX_RUNTIME', `ONNX Runtime could not load the ${label} model: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function open(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  // Two calls because the overloads of create() do not accept the union.
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/** Runs a session after checking that every input it needs is fed; failures name the feeds' types and dims. */
export async function runSession(samSession: SamSession, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const { session, label } = samSession;
  const missing = session.inputNames.filter((name) => !(name in feeds));
  if (missing.length > 0) {
    throw new MaskLoopError('ONNX_RUNTIME', `The ${label} model needs the input(s) ${missing.join(', ')}, which were not given.`);
  }
  try {
    return await session.run(feeds);
  } catch (error) {
    const described = Object.entries(feeds)
      .map(([name, tensor]) => `${name} ${tensor.type}[${tensor.dims.join(',')}]`)
      .join('; ');
    throw new MaskLoopError('ONNX_RUNTIME', `The ${label} model failed to run (${(error as Error).message}); inputs: ${described}`, {
      cause: error,
    });
  }
}

export function float32Tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/** The output's data as Float32Array; the session keeps no reference to it. */
export function float32Output(outputs: Record<string, ort.Tensor>, name: string): Float32Array {
  const tensor = outputs[name];
  if (!tensor) throw new MaskLoopError('ONNX_RUNTIME', `The model has no output named ${name}.`);
  return tensor.data as Float32Array;
}
