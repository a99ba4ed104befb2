// Raw little-endian float32 files, the CLI's format for embeddings and low-res logits.
import fs from 'node:fs';
import { MaskLoopError } from '../errors.js';

export function readFloat32File(file: string, what: string, elementsPerItem: number): Float32Array {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new MaskLoopError('FILE_NOT_FOUND', `${what} ${file} does not exist: check the path.`);
  }
  if (bytes.byteLength === 0 || bytes.byteLength % (elementsPerItem * 4) !== 0) {
    throw new MaskLoopError(
      'INVALID_ARGUMENT',
      `${what} ${file} has ${bytes.byteLength} bytes; expected raw float32 in multiples of ${elementsPerItem} values (${elementsPerItem * 4} bytes).`,
    );
  }
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

export function writeFloat32File(file: string, arrays: readonly Float32Array[]): void {
  fs.writeFileSync(file, Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
}
