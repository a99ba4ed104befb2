import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MaskLoopError } from '../../src-main/errors.js';
import { loadTrainingEngine } from '../../src-main/train/engine.js';
import { gelu } from '../../src-main/train/layers.js';

function isInstalled(specifier: string): boolean {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

const nativeInstalled = isInstalled('@tensorflow/tfjs-node');

/** erf in float64: 2/sqrt(pi) * exp(-x^2) * sum 2^n x^(2n+1) / (1*3*...*(2n+1)), every term positive. */
function erf64(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 400 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

test('auto picks the fastest engine that trains here, and says which and why the faster ones were passed over', { skip: nativeInstalled && 'tfjs-node is installed here' }, async () => {
  const engine = await loadTrainingEngine('auto');
  assert.equal(engine.name, 'wasm');
  assert.equal(engine.tf.getBackend(), 'wasm');
  assert.match(engine.description, /WebAssembly backend \(SIMD/);
  assert.match(engine.description, /tfjs-node: @tensorflow\/tfjs-node is not installed/);
});

test('asking for the native engine where @tensorflow/tfjs-node is missing fails with a message saying what to install', { skip: nativeInstalled && 'tfjs-node is installed here' }, async () => {
  await assert.rejects(
    () => loadTrainingEngine('native'),
    (error: unknown) => error instanceof MaskLoopError && error.code === 'TRAINING' && /Install @tensorflow\/tfjs-node/.test(error.message),
  );
});

test('the cpu and wasm engines can be chosen explicitly and switch the TensorFlow.js backend', async () => {
  const cpu = await loadTrainingEngine('cpu');
  assert.equal(cpu.name, 'cpu');
  assert.equal(cpu.tf.getBackend(), 'cpu');
  const wasm = await loadTrainingEngine('wasm');
  assert.equal(wasm.tf.getBackend(), 'wasm');
});

for (const preference of ['wasm', 'cpu'] as const) {
  test(`GELU on ${preference} is exact (erf form) to 1e-6, and its gradient is x·φ(x) + Φ(x)`, async () => {
    const { tf } = await loadTrainingEngine(preference);
    const xs = Array.from({ length: 1201 }, (_, i) => -6 + i / 100);
    const geluExact = (x: number): number => 0.5 * x * (1 + erf64(x / Math.SQRT2));
    const geluSlope = (x: number): number => 0.5 * (1 + erf64(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
    const [values, slopes] = tf.tidy(() => {
      const input = tf.tensor1d(xs);
      return [gelu(tf, input).dataSync(), tf.grad((x) => tf.sum(gelu(tf, x)))(input).dataSync()];
    });
    xs.forEach((x, i) => {
      assert.ok(Math.abs(values[i] - geluExact(x)) < 1e-6, `gelu(${x}) = ${values[i]}, exactly ${geluExact(x)}`);
      assert.ok(Math.abs(slopes[i] - geluSlope(x)) < 1e-5, `gelu'(${x}) = ${slopes[i]}, exactly ${geluSlope(x)}`);
    });
  });
}

test('when the wasm backend lacks a kernel the decoder needs, auto falls back to cpu and names the missing kernel', { skip: nativeInstalled && 'tfjs-node is installed here' }, async () => {
  const { tf } = await loadTrainingEngine('wasm');
  const erfKernel = tf.getKernel('Erf', 'wasm')!;
  tf.unregisterKernel('Erf', 'wasm');
  try {
    const engine = await loadTrainingEngine('auto');
    assert.equal(engine.name, 'cpu');
    assert.match(engine.description, /wasm: a decoder training step failed: Kernel 'Erf' not registered for backend 'wasm'/);
  } finally {
    tf.registerKernel(erfKernel);
  }
});
