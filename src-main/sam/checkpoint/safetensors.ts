// Reads .safetensors files: an 8-byte little-endian header length, a JSON header, then the tensors' bytes.
import fs from 'node:fs';
import { MaskLoopError } from '../../errors.js';
import { FileStateDict, canonicalTensorName, fileLabel, readAt, storageInFile } from './file-state-dict.js';
import type { StoredTensor } from './file-state-dict.js';
import type { StateDict, StoredDType } from './state-dict.js';
import { BYTES_PER_ELEMENT, contiguousStrides, elementCount } from './tensor-encoding.js';

export const SAFETENSORS_DTYPES: Readonly<Record<string, StoredDType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  U8: 'uint8',
  BOOL: 'bool',
};

const HEADER_LENGTH_SIZE = 8;
const METADATA_KEY = '__metadata__';

/** Opens a .safetensors file: parses the header now; tensors are read one at a time, positionally, when asked for. */
export function openSafetensors(filePath: string): StateDict {
  const fd = fs.openSync(filePath, 'r');
  try {
    const fileSize = fs.fstatSync(fd).size;
    const headerLength = readHeaderLength(fd, fileSize, filePath);
    const dataStart = HEADER_LENGTH_SIZE + headerLength;
    const header = parseHeader(readAt(fd, HEADER_LENGTH_SIZE, headerLength, filePath), filePath);
    const tensors = new Map<string, StoredTensor>();
    for (const [name, entry] of Object.entries(header)) {
      if (name === METADATA_KEY) continue;
      const { dtype, shape, begin, end } = tensorEntry(name, entry, filePath);
      if (dataStart + end > fileSize) {
        throw new MaskLoopError(
          'TRUNCATED_FILE',
          `${fileLabel(filePath)} is incomplete: tensor ${name} reaches past the end of the file; download or copy the checkpoint again.`,
        );
      }
      const storage = storageInFile(fd, dataStart + begin, end - begin, filePath);
      tensors.set(canonicalTensorName(name), { dtype, shape, stride: contiguousStrides(shape), storageOffset: 0, storage });
    }
    if (tensors.size === 0) {
      throw new MaskLoopError('NOT_A_CHECKPOINT', `${fileLabel(filePath)} holds no tensors; choose the SAM checkpoint itself.`);
    }
    return new FileStateDict(filePath, fd, tensors);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

function readHeaderLength(fd: number, fileSize: number, filePath: string): number {
  const length = new DataView(readAt(fd, 0, HEADER_LENGTH_SIZE, filePath).buffer).getBigUint64(0, true);
  if (length > BigInt(fileSize - HEADER_LENGTH_SIZE)) {
    throw new MaskLoopError(
      'TRUNCATED_FILE',
      `${fileLabel(filePath)} is incomplete: its safetensors header reaches past the end of the file; download or copy it again.`,
    );
  }
  return Number(length);
}

function parseHeader(bytes: Uint8Array, filePath: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new MaskLoopError('NOT_A_CHECKPOINT', `${fileLabel(filePath)} has an unreadable safetensors header; export the checkpoint again.`, {
      cause: error,
    });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new MaskLoopError('NOT_A_CHECKPOINT', `${fileLabel(filePath)} has a safetensors header that is not a JSON object; export the checkpoint again.`);
  }
  return header as Record<string, unknown>;
}

function tensorEntry(
  name: string,
  entry: unknown,
  filePath: string,
): { dtype: StoredDType; shape: number[]; begin: number; end: number } {
  const invalid = (detail: string): never => {
    throw new MaskLoopError(
      'NOT_A_CHECKPOINT',
      `${fileLabel(filePath)} has an invalid safetensors header (tensor ${name}: ${detail}); export the checkpoint again.`,
    );
  };
  const { dtype: storedAs, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
  const isNatural = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
  if (typeof storedAs !== 'string') return invalid('no dtype');
  if (!Array.isArray(shape) || !shape.every(isNatural)) return invalid('no valid shape');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNatural)) return invalid('no valid data_offsets');
  const dtype = SAFETENSORS_DTYPES[storedAs];
  if (!dtype) {
    throw new MaskLoopError(
      'UNSUPPORTED_TENSOR',
      `${fileLabel(filePath)} stores tensor ${name} as ${storedAs}, which MaskLoop cannot read; save the weights as F32, F16 or BF16.`,
    );
  }
  const [begin, end] = offsets as number[];
  if (end - begin !== elementCount(shape) * BYTES_PER_ELEMENT[dtype]) return invalid('data_offsets do not match its shape and dtype');
  return { dtype, shape, begin, end };
}
