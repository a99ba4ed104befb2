// A StateDict over tensors that lie in one open file: each tensor's bytes are read positionally when it is asked for.
import fs from 'node:fs';
import path from 'node:path';
import { MaskLoopError } from '../../errors.js';
import type { StateDict, StoredDType, TensorInfo } from './state-dict.js';
import {
  BYTES_PER_ELEMENT,
  decodeToFloat32,
  gatherStrided,
  isContiguous,
  isFloatDType,
  swapByteOrder,
  viewSpan,
} from './tensor-encoding.js';

/** A run of bytes in the file (or inflated from it) that one or more tensors view. */
export interface TensorStorage {
  readonly byteLength: number;
  /** Bytes [start, start + length) of the storage, in a new buffer of their own. */
  read(start: number, length: number): Uint8Array;
}

export interface StoredTensor {
  readonly dtype: StoredDType;
  readonly shape: readonly number[];
  /** In elements; a C-contiguous tensor has contiguousStrides(shape). */
  readonly stride: readonly number[];
  /** Index of the tensor's first element in its storage, in elements. */
  readonly storageOffset: number;
  readonly storage: TensorStorage;
}

/** How checkpoint files are named in messages: the file name, which is what the user picked. */
export function fileLabel(filePath: string): string {
  return path.basename(filePath);
}

/** Reads exactly `length` bytes at `position`; a file that ends before them is TRUNCATED_FILE. */
export function readAt(fd: number, position: number, length: number, filePath: string): Uint8Array {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const chunk = Math.min(length - filled, 1 << 30);
    const read = fs.readSync(fd, bytes, filled, chunk, position + filled);
    if (read === 0) {
      throw new MaskLoopError(
        'TRUNCATED_FILE',
        `${fileLabel(filePath)} ends before the data it describes: the file is incomplete; download or copy it again.`,
      );
    }
    filled += read;
  }
  return bytes;
}

/** A storage that is `byteLength` bytes of the file from `fileOffset` on, read in place. */
export function storageInFile(fd: number, fileOffset: number, byteLength: number, filePath: string): TensorStorage {
  return { byteLength, read: (start, length) => readAt(fd, fileOffset + start, length, filePath) };
}

/** Checkpoints saved from a DataParallel model prefix every name with `module.`. */
export function canonicalTensorName(name: string): string {
  return name.startsWith('module.') ? name.slice('module.'.length) : name;
}

export class FileStateDict implements StateDict {
  readonly source: string;
  private readonly fd: number;
  private readonly tensors: ReadonlyMap<string, StoredTensor>;
  private readonly littleEndian: boolean;
  private closed = false;

  /** Takes ownership of `fd`; throws TRUNCATED_FILE when a tensor reaches past the end of its storage. */
  constructor(source: string, fd: number, tensors: ReadonlyMap<string, StoredTensor>, littleEndian = true) {
    for (const [name, tensor] of tensors) assertWithinStorage(source, name, tensor);
    this.source = source;
    this.fd = fd;
    this.tensors = tensors;
    this.littleEndian = littleEndian;
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const tensor = this.tensor(name);
    return { name, dtype: tensor.dtype, shape: tensor.shape };
  }

  float32(name: string): Float32Array {
    const tensor = this.tensor(name);
    const { dtype, shape, stride } = tensor;
    if (!isFloatDType(dtype)) {
      throw new MaskLoopError(
        'UNSUPPORTED_TENSOR',
        `Tensor ${name} in ${fileLabel(this.source)} is stored as ${dtype}; MaskLoop reads weights stored as float32, float16, bfloat16 or float64.`,
      );
    }
    if (this.closed) throw new Error(`StateDict of ${this.source} was read after close()`);
    const elementSize = BYTES_PER_ELEMENT[dtype];
    const bytes = tensor.storage.read(tensor.storageOffset * elementSize, viewSpan(shape, stride) * elementSize);
    if (!this.littleEndian) swapByteOrder(bytes, elementSize);
    const values = decodeToFloat32(bytes, dtype);
    return isContiguous(shape, stride) ? values : gatherStrided(values, shape, stride, 0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private tensor(name: string): StoredTensor {
    const tensor = this.tensors.get(name);
    if (!tensor) {
      throw new MaskLoopError('NOT_SAM_WEIGHTS', `${fileLabel(this.source)} has no tensor named ${name}.`);
    }
    return tensor;
  }
}

function assertWithinStorage(source: string, name: string, tensor: StoredTensor): void {
  const elementSize = BYTES_PER_ELEMENT[tensor.dtype];
  const end = (tensor.storageOffset + viewSpan(tensor.shape, tensor.stride)) * elementSize;
  if (end > tensor.storage.byteLength) {
    throw new MaskLoopError(
      'TRUNCATED_FILE',
      `${fileLabel(source)} is damaged: tensor ${name} needs ${end} bytes of storage but only ${tensor.storage.byteLength} are there; download or copy the checkpoint again.`,
    );
  }
}
