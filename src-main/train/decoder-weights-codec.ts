// A fine-tuned decoder's weights as bytes (safetensors layout, float32, official names) for the project store, and back.
import { MaskLoopError } from '../errors.js';
import { MemoryStateDict } from '../sam/checkpoint/state-dict.js';

export type NamedWeights = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

const HEADER_LENGTH_SIZE = 8;
const FLOAT32_BYTES = 4;
/** Tensor data stays 8-byte aligned, as safetensors writers keep it. */
const HEADER_ALIGNMENT = 8;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Encodes the weights in map order as one safetensors blob (F32), readable by any safetensors reader. */
export function encodeDecoderWeights(weights: NamedWeights): Uint8Array {
  const header: Record<string, HeaderEntry> = {};
  let dataLength = 0;
  for (const [name, { shape, data }] of weights) {
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [dataLength, dataLength + data.length * FLOAT32_BYTES] };
    dataLength += data.length * FLOAT32_BYTES;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const bytes = new Uint8Array(HEADER_LENGTH_SIZE + headerLength + dataLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.fill(0x20, HEADER_LENGTH_SIZE, HEADER_LENGTH_SIZE + headerLength);
  bytes.set(json, HEADER_LENGTH_SIZE);
  const dataStart = HEADER_LENGTH_SIZE + headerLength;
  for (const [name, { data }] of weights) {
    // Little-endian float32, the host's order on every platform MaskLoop ships for.
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dataStart + header[name].data_offsets[0]);
  }
  return bytes;
}

/** Decodes a blob written by encodeDecoderWeights; `source` names it in errors (e.g. "decoder version 3"). */
export function decodeDecoderWeights(bytes: Uint8Array, source: string): MemoryStateDict {
  const damaged = (detail: string): MaskLoopError =>
    new MaskLoopError('PROJECT', `The weights of ${source} are damaged (${detail}); activate another decoder version or train again.`);
  if (bytes.byteLength < HEADER_LENGTH_SIZE) throw damaged('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const dataStart = HEADER_LENGTH_SIZE + headerLength;
  if (dataStart > bytes.byteLength) throw damaged('header past the end');
  let header: Record<string, HeaderEntry>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_LENGTH_SIZE, dataStart))) as Record<string, HeaderEntry>;
  } catch {
    throw damaged('unreadable header');
  }
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, entry] of Object.entries(header)) {
    const [begin, end] = entry.data_offsets;
    const elements = entry.shape.reduce((product, dim) => product * dim, 1);
    if (entry.dtype !== 'F32' || end - begin !== elements * FLOAT32_BYTES || dataStart + end > bytes.byteLength) throw damaged(`tensor ${name}`);
    // Copied out: the blob's buffer may be a view into a larger one, at any alignment.
    const data = new Float32Array(elements);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape: entry.shape, data });
  }
  return new MemoryStateDict(source, tensors);
}
