// Builds ONNX models node by node with onnx-proto; weights go inline or, for big models, to an external file.
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** A plain number is INT when it is an integer; `{ float }` forces FLOAT (e.g. alpha = 1). */
export type AttributeValue =
  | number
  | string
  | readonly number[]
  | { float: number }
  | { floats: readonly number[] }
  | { tensor: InitializerData };
export type Attributes = Record<string, AttributeValue>;

export type InitializerData =
  | { type: 'float32'; data: Float32Array; dims: readonly number[] }
  | { type: 'int64'; data: BigInt64Array; dims: readonly number[] };

export type Dim = number | string;

const ELEMENT_TYPE = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64 } as const;

/** ONNX opset the builders target; LayerNormalization needs 17. */
export const OPSET = 17;
const IR_VERSION = 8;

export interface GraphBuilderOptions {
  graphName: string;
  /**
   * When set, every initializer's bytes are appended to this file as they are added (ONNX external data,
   * path relative to the model file), so the model never holds all weights in memory at once.
   */
  externalWeightsFile?: string;
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private readonly weightsFd: number | undefined;
  private weightsOffset = 0;

  constructor(private readonly options: GraphBuilderOptions) {
    this.weightsFd = options.externalWeightsFile === undefined ? undefined : fs.openSync(options.externalWeightsFile, 'w');
  }

  input(name: string, type: keyof typeof ELEMENT_TYPE, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Marks `value` as a graph output called `name` (an Identity node renames it when needed). */
  output(name: string, value: string, type: keyof typeof ELEMENT_TYPE, dims: readonly Dim[]): void {
    if (value !== name) {
      this.claim(name);
      this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_identity` });
    }
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 weight; `name` keeps the checkpoint's name so the model can be read against it. */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    return this.initializer(name, { type: 'float32', data, dims });
  }

  /** A small int64 constant (shapes, axes, indices), always stored inline. */
  ints(values: readonly number[], name?: string): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    return this.initializer(name ?? this.fresh('const_i64'), { type: 'int64', data, dims: [values.length] });
  }

  /** A float32 scalar or vector constant, stored inline. */
  floats(values: readonly number[], dims: readonly number[] = values.length === 1 ? [] : [values.length], name?: string): string {
    return this.initializer(name ?? this.fresh('const_f32'), { type: 'float32', data: Float32Array.from(values), dims });
  }

  initializer(name: string, value: InitializerData): string {
    this.claim(name);
    const bytes = new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength);
    const tensor: onnxProto.onnx.ITensorProto = { name, dataType: ELEMENT_TYPE[value.type], dims: [...value.dims] };
    const external = this.weightsFd !== undefined && value.type === 'float32' && bytes.byteLength >= 1024;
    if (external) {
      fs.writeSync(this.weightsFd!, bytes);
      tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      tensor.externalData = [
        { key: 'location', value: path.basename(this.options.externalWeightsFile!) },
        { key: 'offset', value: String(this.weightsOffset) },
        { key: 'length', value: String(bytes.byteLength) },
      ];
      this.weightsOffset += bytes.byteLength;
    } else {
      tensor.rawData = bytes.slice();
    }
    this.initializers.push(tensor);
    return name;
  }

  /** Adds one node and returns its single output's name. */
  op(opType: string, inputs: readonly string[], attributes: Attributes = {}, domain?: string): string {
    return this.opMulti(opType, inputs, 1, attributes, domain)[0];
  }

  /** Adds one node with `outputCount` outputs and returns their names. */
  opMulti(opType: string, inputs: readonly string[], outputCount: number, attributes: Attributes = {}, domain?: string): string[] {
    const base = this.fresh(opType.toLowerCase());
    this.usedNames.add(base);
    const outputs = Array.from({ length: outputCount }, (_, i) => (outputCount === 1 ? base : `${base}_${i}`));
    outputs.forEach((o) => this.usedNames.add(o));
    this.nodes.push({
      opType,
      domain,
      name: base,
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outputs;
  }

  /** Serialises the model; closes the external weights file. */
  build(): Uint8Array {
    if (this.weightsFd !== undefined) fs.closeSync(this.weightsFd);
    // Nodes of another domain (ONNX Runtime's com.microsoft contrib ops) need that domain imported; they are all version 1.
    const domains = [...new Set(this.nodes.flatMap((node) => (node.domain ? [node.domain] : [])))];
    const model: onnxProto.onnx.IModelProto = {
      irVersion: IR_VERSION,
      producerName: 'maskloop',
      opsetImport: [{ domain: '', version: OPSET }, ...domains.map((domain) => ({ domain, version: 1 }))],
      graph: {
        name: this.options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }

  private claim(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`ONNX graph builder: the name ${name} is used twice`);
    this.usedNames.add(name);
  }

  /** An unused name; the caller claims it. */
  private fresh(prefix: string): string {
    let i = this.usedNames.size;
    while (this.usedNames.has(`${prefix}_${i}`)) i++;
    return `${prefix}_${i}`;
  }
}

function valueInfo(name: string, type: keyof typeof ELEMENT_TYPE, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: types.INT, i: value } : { name, type: types.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: types.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: types.INTS, ints: [...value] };
  if ('float' in value) return { name, type: types.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: types.FLOATS, floats: [...value.floats] };
  const tensorValue = (value as { tensor: InitializerData }).tensor;
  const t = tensorValue.data;
  return {
    name,
    type: types.TENSOR,
    t: {
      dataType: ELEMENT_TYPE[tensorValue.type],
      dims: [...tensorValue.dims],
      rawData: new Uint8Array(t.buffer, t.byteOffset, t.byteLength).slice(),
    },
  };
}
