// Writes .safetensors files (8-byte header length, JSON header, tensor bytes), for tests and benchmarks.
import fs from 'node:fs';
import { SAFETENSORS_DTYPES } from './safetensors.js';
import { BYTES_PER_ELEMENT, elementCount, encodeFloat32, valuesOf } from './tensor-encoding.js';
import type { Float32Tensor, WritableDType } from './tensor-encoding.js';

/** Keeps the tensor data 8-byte aligned, as the reference implementation does. */
const HEADER_ALIGNMENT = 8;

/**
 * Writes `tensors` in map order, each stored as `dtype`. Each tensor's `data` is read once, when its bytes are
 * written, so lazily computed tensors stream through.
 */
export function writeSafetensors(
  filePath: string,
  tensors: ReadonlyMap<string, Float32Tensor>,
  options: { dtype?: WritableDType } = {},
): void {
  const dtype = options.dtype ?? 'float32';
  const dtypeCode = Object.keys(SAFETENSORS_DTYPES).find((code) => SAFETENSORS_DTYPES[code] === dtype) as string;
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  let dataLength = 0;
  for (const [name, tensor] of tensors) {
    const byteLength = elementCount(tensor.shape) * BYTES_PER_ELEMENT[dtype];
    header[name] = { dtype: dtypeCode, shape: [...tensor.shape], data_offsets: [dataLength, dataLength + byteLength] };
    dataLength += byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const paddedLength = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const headerBytes = new Uint8Array(8 + paddedLength).fill(0x20);
  new DataView(headerBytes.buffer).setBigUint64(0, BigInt(paddedLength), true);
  headerBytes.set(json, 8);

  const fd = fs.openSync(filePath, 'w');
  try {
    const writeAll = (bytes: Uint8Array): void => {
      for (let written = 0; written < bytes.length; ) written += fs.writeSync(fd, bytes, written);
    };
    writeAll(headerBytes);
    for (const [name, tensor] of tensors) writeAll(encodeFloat32(valuesOf(name, tensor), dtype));
  } finally {
    fs.closeSync(fd);
  }
}
