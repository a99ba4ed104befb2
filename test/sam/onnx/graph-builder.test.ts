import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MemoryStateDict } from '../../../src-main/sam/checkpoint/state-dict.js';
import { GraphBuilder } from '../../../src-main/sam/onnx/graph-builder.js';
import { gelu, layerNorm, linear } from '../../../src-main/sam/onnx/layers.js';
import { createSession, float32Output, float32Tensor, runSession } from '../../../src-main/sam/onnx-runtime.js';

const weights = new MemoryStateDict(
  'test',
  new Map([
    ['fc.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, -1, 0.5, 0]) }],
    ['fc.bias', { shape: [2], data: Float32Array.from([0.25, -0.5]) }],
    ['norm.weight', { shape: [2], data: Float32Array.from([2, 1]) }],
    ['norm.bias', { shape: [2], data: Float32Array.from([0, 1]) }],
  ]),
);

function geluReference(x: number): number {
  // erf by Abramowitz-Stegun 7.1.26 is too coarse for a test; use a series that converges for |x| < 3.
  let sum = 0;
  let term = x / Math.SQRT2;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-(x * x) / 2) / (n + 1);
  }
  return 0.5 * x * (1 + (2 / Math.sqrt(Math.PI)) * sum);
}

function buildLinearGelu(externalWeightsFile?: string): Uint8Array {
  const g = new GraphBuilder({ graphName: 'linear_gelu', externalWeightsFile });
  const x = g.input('x', 'float32', ['n', 3]);
  const hidden = gelu(g, linear(g, weights, x, 'fc'));
  g.output('y', layerNorm(g, weights, hidden, 'norm', 1e-5), 'float32', ['n', 2]);
  return g.build();
}

function expected(row: number[]): number[] {
  const w = [[1, 2, 3], [-1, 0.5, 0]];
  const b = [0.25, -0.5];
  const h = w.map((wr, i) => geluReference(wr.reduce((acc, v, j) => acc + v * row[j], b[i])));
  const mean = (h[0] + h[1]) / 2;
  const variance = ((h[0] - mean) ** 2 + (h[1] - mean) ** 2) / 2;
  const norm = h.map((v) => (v - mean) / Math.sqrt(variance + 1e-5));
  return [norm[0] * 2 + 0, norm[1] * 1 + 1];
}

test('a built linear + GELU + LayerNorm graph computes what PyTorch layers compute', async () => {
  const session = await createSession(buildLinearGelu(), 'test');
  const input = [0.1, -0.2, 0.3, 1, 0.5, -1];
  const y = float32Output(await runSession(session, { x: float32Tensor(Float32Array.from(input), [2, 3]) }), 'y');
  const want = [...expected(input.slice(0, 3)), ...expected(input.slice(3))];
  want.forEach((v, i) => assert.ok(Math.abs(y[i] - v) < 1e-5, `y[${i}] = ${y[i]}, expected ${v}`));
});

test('weights written as external data load and give the same result as inline weights', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-graph-'));
  const big = new MemoryStateDict(
    'big',
    new Map([
      ['fc.weight', { shape: [512, 3], data: Float32Array.from({ length: 1536 }, (_, i) => Math.sin(i)) }],
      ['fc.bias', { shape: [512], data: new Float32Array(512).fill(0.1) }],
    ]),
  );
  const build = (file?: string) => {
    const g = new GraphBuilder({ graphName: 'external', externalWeightsFile: file });
    g.output('y', linear(g, big, g.input('x', 'float32', [1, 3]), 'fc'), 'float32', [1, 512]);
    return g.build();
  };
  fs.writeFileSync(path.join(dir, 'model.onnx'), build(path.join(dir, 'model.weights')));
  assert.ok(fs.statSync(path.join(dir, 'model.weights')).size >= 1536 * 4);
  const x = { x: float32Tensor(Float32Array.from([1, 2, 3]), [1, 3]) };
  const fromFile = float32Output(await runSession(await createSession(path.join(dir, 'model.onnx'), 'external'), x), 'y');
  const inline = float32Output(await runSession(await createSession(build(), 'inline'), x), 'y');
  assert.deepEqual(Array.from(fromFile), Array.from(inline));
});

test('running a session without one of its inputs names the missing input', async () => {
  const session = await createSession(buildLinearGelu(), 'test');
  await assert.rejects(runSession(session, {}), /needs the input\(s\) x/);
});
