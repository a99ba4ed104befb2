// PyTorch layers shared by SAM's image encoder and mask decoder, as ONNX subgraphs read from a StateDict.
import type { StateDict } from '../checkpoint/state-dict.js';
import type { GraphBuilder } from './graph-builder.js';

/** torch.nn.Linear: in x float32[..., in] -> out float32[..., out]; weight [out,in] stored transposed for MatMul. */
export function linear(g: GraphBuilder, sd: StateDict, x: string, prefix: string, options: { bias?: boolean } = {}): string {
  const weightName = `${prefix}.weight`;
  const [outFeatures, inFeatures] = sd.info(weightName).shape;
  const weight = g.weight(`${weightName}_t`, transpose2d(sd.float32(weightName), outFeatures, inFeatures), [inFeatures, outFeatures]);
  const product = g.op('MatMul', [x, weight]);
  if (options.bias === false) return product;
  const bias = g.weight(`${prefix}.bias`, sd.float32(`${prefix}.bias`), [outFeatures]);
  return g.op('Add', [product, bias]);
}

/** torch.nn.LayerNorm over the last axis. */
export function layerNorm(g: GraphBuilder, sd: StateDict, x: string, prefix: string, epsilon: number): string {
  const [channels] = sd.info(`${prefix}.weight`).shape;
  const scale = g.weight(`${prefix}.weight`, sd.float32(`${prefix}.weight`), [channels]);
  const bias = g.weight(`${prefix}.bias`, sd.float32(`${prefix}.bias`), [channels]);
  return g.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: epsilon } });
}

/**
 * SAM's LayerNorm2d: normalises over channels of x float32[B,C,H,W] (eps 1e-6), written with reductions
 * so that it stays NCHW without transposes.
 */
export function layerNorm2d(g: GraphBuilder, sd: StateDict, x: string, prefix: string): string {
  const [channels] = sd.info(`${prefix}.weight`).shape;
  const mean = g.op('ReduceMean', [x], { axes: [1], keepdims: 1 });
  const centred = g.op('Sub', [x, mean]);
  const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred])], { axes: [1], keepdims: 1 });
  const denominator = g.op('Sqrt', [g.op('Add', [variance, g.floats([1e-6])])]);
  const normalised = g.op('Div', [centred, denominator]);
  const shape = [channels, 1, 1];
  const scale = g.weight(`${prefix}.weight`, sd.float32(`${prefix}.weight`), shape);
  const bias = g.weight(`${prefix}.bias`, sd.float32(`${prefix}.bias`), shape);
  return g.op('Add', [g.op('Mul', [normalised, scale]), bias]);
}

/** torch.nn.GELU (exact, erf form): x * 0.5 * (1 + erf(x / sqrt(2))); ONNX Runtime fuses it into one Gelu. */
export function gelu(g: GraphBuilder, x: string): string {
  const scaled = g.op('Div', [x, g.floats([Math.SQRT2])]);
  const erfPlusOne = g.op('Add', [g.op('Erf', [scaled]), g.floats([1])]);
  return g.op('Mul', [g.op('Mul', [x, erfPlusOne]), g.floats([0.5])]);
}

export function relu(g: GraphBuilder, x: string): string {
  return g.op('Relu', [x]);
}

/** Row-major [rows, cols] -> [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  }
  return out;
}
