// Reads PyTorch zip checkpoints (torch.save since 1.6): the zip directory, data.pkl's state_dict, each tensor's bytes in place.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { MaskLoopError } from '../../errors.js';
import { FileStateDict, canonicalTensorName, fileLabel, readAt, storageInFile } from './file-state-dict.js';
import type { StoredTensor, TensorStorage } from './file-state-dict.js';
import { PickleDict, TorchTensorRef, unpickleTorch } from './pickle.js';
import type { PickleValue } from './pickle.js';
import type { StateDict } from './state-dict.js';

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

const SIGNATURE = {
  localHeader: 0x04034b50,
  centralHeader: 0x02014b50,
  endOfDirectory: 0x06054b50,
  zip64Locator: 0x07064b50,
  zip64EndOfDirectory: 0x06064b50,
} as const;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_OF_DIRECTORY_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_END_OF_DIRECTORY_SIZE = 56;
const ZIP64_EXTRA_ID = 0x0001;
const STORED = 0;
const DEFLATED = 8;
const MAX_U32 = 0xffffffff;

/**
 * Opens a torch zip archive (`<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/version`): reads only the zip
 * directory and the pickle now; tensors are read one at a time, positionally, when asked for.
 */
export function openTorchZip(filePath: string): StateDict {
  const fd = fs.openSync(filePath, 'r');
  try {
    const fileSize = fs.fstatSync(fd).size;
    const entries = readZipDirectory(fd, fileSize, filePath);
    const prefix = archivePrefix(entries, filePath);
    const storageOf = (name: string): TensorStorage | undefined => {
      const entry = entries.get(prefix + name);
      return entry && entryStorage(fd, fileSize, entry, filePath);
    };
    const pickle = storageOf('data.pkl') as TensorStorage; // archivePrefix found it
    const root = unpickleTorch(pickle.read(0, pickle.byteLength), fileLabel(filePath));
    const byteOrder = storageOf('byteorder');
    const littleEndian = !byteOrder || new TextDecoder().decode(byteOrder.read(0, byteOrder.byteLength)).trim() !== 'big';
    const tensors = storedTensors(stateDictOf(root, filePath), storageOf, filePath);
    return new FileStateDict(filePath, fd, tensors, littleEndian);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** A state_dict is the top-level dict, or one nested under `state_dict` or `model` (training checkpoints). */
function stateDictOf(root: PickleValue, filePath: string): PickleDict {
  if (root instanceof PickleDict) {
    for (const key of ['state_dict', 'model']) {
      const nested = root.items.get(key);
      if (nested instanceof PickleDict) return nested;
    }
    return root;
  }
  throw new MaskLoopError(
    'NOT_A_CHECKPOINT',
    `${fileLabel(filePath)} holds a pickled ${Array.isArray(root) ? 'list' : typeof root}, not a state_dict of weights; save the weights with torch.save(model.state_dict(), path).`,
  );
}

function storedTensors(
  stateDict: PickleDict,
  storageOf: (name: string) => TensorStorage | undefined,
  filePath: string,
): Map<string, StoredTensor> {
  const storages = new Map<string, TensorStorage>();
  const tensors = new Map<string, StoredTensor>();
  for (const [name, value] of stateDict.items) {
    if (!(value instanceof TorchTensorRef)) continue;
    const { key, dtype } = value.storage;
    let storage = storages.get(key);
    if (!storage) {
      storage = storageOf(`data/${key}`);
      if (!storage) {
        throw new MaskLoopError(
          'TRUNCATED_FILE',
          `${fileLabel(filePath)} is incomplete: the bytes of tensor ${name} (data/${key}) are missing from the archive; download or copy the checkpoint again.`,
        );
      }
      storages.set(key, storage);
    }
    const { storageOffset, shape, stride } = value;
    tensors.set(canonicalTensorName(String(name)), { dtype, shape, stride, storageOffset, storage });
  }
  if (tensors.size === 0) {
    throw new MaskLoopError(
      'NOT_A_CHECKPOINT',
      `${fileLabel(filePath)} is a PyTorch file without any tensors; choose the SAM checkpoint (.pth) that holds the model's weights.`,
    );
  }
  return tensors;
}

function archivePrefix(entries: ReadonlyMap<string, ZipEntry>, filePath: string): string {
  const pickles = [...entries.keys()].filter((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
  if (pickles.length === 0) {
    throw new MaskLoopError(
      'NOT_A_CHECKPOINT',
      `${fileLabel(filePath)} is a zip archive but not a PyTorch checkpoint (it has no data.pkl); choose the SAM .pth file itself.`,
    );
  }
  const outermost = pickles.reduce((best, name) => (name.length < best.length ? name : best));
  return outermost.slice(0, -'data.pkl'.length);
}

/** The entry's bytes: stored entries are read in place; deflated ones are inflated whenever they are read. */
function entryStorage(fd: number, fileSize: number, entry: ZipEntry, filePath: string): TensorStorage {
  const header = readAt(fd, entry.localHeaderOffset, LOCAL_HEADER_SIZE, filePath);
  const view = new DataView(header.buffer);
  if (view.getUint32(0, true) !== SIGNATURE.localHeader) damaged(filePath, `no local header for ${entry.name}`);
  // The local header's name and extra field (torch pads it to align data) may differ from the central directory's.
  const dataOffset = entry.localHeaderOffset + LOCAL_HEADER_SIZE + view.getUint16(26, true) + view.getUint16(28, true);
  if (dataOffset + entry.compressedSize > fileSize) {
    throw new MaskLoopError(
      'TRUNCATED_FILE',
      `${fileLabel(filePath)} is incomplete: ${entry.name} reaches past the end of the file; download or copy the checkpoint again.`,
    );
  }
  if (entry.method === STORED) return storageInFile(fd, dataOffset, entry.uncompressedSize, filePath);
  if (entry.method === DEFLATED) {
    return {
      byteLength: entry.uncompressedSize,
      read: (start, length) =>
        zlib.inflateRawSync(readAt(fd, dataOffset, entry.compressedSize, filePath)).slice(start, start + length),
    };
  }
  throw new MaskLoopError(
    'NOT_A_CHECKPOINT',
    `${fileLabel(filePath)} compresses ${entry.name} with zip method ${entry.method}, which MaskLoop cannot read; re-save the weights with torch.save.`,
  );
}

function readZipDirectory(fd: number, fileSize: number, filePath: string): Map<string, ZipEntry> {
  const tailLength = Math.min(fileSize, END_OF_DIRECTORY_SIZE + 0xffff);
  const tail = readAt(fd, fileSize - tailLength, tailLength, filePath);
  const tailView = new DataView(tail.buffer);
  const end = findEndOfDirectory(tailView);
  if (end < 0) {
    throw new MaskLoopError(
      'TRUNCATED_FILE',
      `${fileLabel(filePath)} is incomplete (the zip directory at its end is missing): the download or copy was cut short; download the checkpoint again.`,
    );
  }
  let entryCount = tailView.getUint16(end + 10, true);
  let directorySize = tailView.getUint32(end + 12, true);
  let directoryOffset = tailView.getUint32(end + 16, true);
  const locator = end - ZIP64_LOCATOR_SIZE;
  if (locator >= 0 && tailView.getUint32(locator, true) === SIGNATURE.zip64Locator) {
    const recordOffset = u64(tailView, locator + 8, filePath);
    const record = new DataView(readAt(fd, recordOffset, ZIP64_END_OF_DIRECTORY_SIZE, filePath).buffer);
    if (record.getUint32(0, true) !== SIGNATURE.zip64EndOfDirectory) damaged(filePath, 'no zip64 end of directory');
    entryCount = u64(record, 32, filePath);
    directorySize = u64(record, 40, filePath);
    directoryOffset = u64(record, 48, filePath);
  }
  if (directoryOffset + directorySize > fileSize) damaged(filePath, 'the zip directory lies past the end of the file');
  const directory = readAt(fd, directoryOffset, directorySize, filePath);
  return parseDirectory(directory, entryCount, filePath);
}

/** Position of the end-of-central-directory record in `tail`, searching back over a possible comment; -1 if none. */
function findEndOfDirectory(tail: DataView): number {
  for (let position = tail.byteLength - END_OF_DIRECTORY_SIZE; position >= 0; position--) {
    if (
      tail.getUint32(position, true) === SIGNATURE.endOfDirectory &&
      position + END_OF_DIRECTORY_SIZE + tail.getUint16(position + 20, true) <= tail.byteLength
    ) {
      return position;
    }
  }
  return -1;
}

function parseDirectory(directory: Uint8Array, entryCount: number, filePath: string): Map<string, ZipEntry> {
  const view = new DataView(directory.buffer, directory.byteOffset, directory.byteLength);
  const utf8 = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let position = 0;
  for (let index = 0; index < entryCount; index++) {
    if (position + CENTRAL_HEADER_SIZE > directory.length || view.getUint32(position, true) !== SIGNATURE.centralHeader) {
      damaged(filePath, `zip directory entry ${index} is unreadable`);
    }
    const nameLength = view.getUint16(position + 28, true);
    const extraLength = view.getUint16(position + 30, true);
    const commentLength = view.getUint16(position + 32, true);
    const nameStart = position + CENTRAL_HEADER_SIZE;
    if (nameStart + nameLength + extraLength > directory.length) damaged(filePath, `zip directory entry ${index} is cut short`);
    const name = utf8.decode(directory.subarray(nameStart, nameStart + nameLength));
    if (view.getUint16(position + 8, true) & 1) {
      throw new MaskLoopError(
        'NOT_A_CHECKPOINT',
        `${fileLabel(filePath)} is an encrypted zip archive, not a PyTorch checkpoint; choose the SAM .pth file itself.`,
      );
    }
    // Sizes and offset that do not fit 32 bits are 0xFFFFFFFF here and follow, in this order, in the zip64 extra field.
    const zip64 = zip64Values(view, nameStart + nameLength, extraLength, filePath);
    const wide = (value: number): number => (value === MAX_U32 ? (zip64.shift() ?? damaged(filePath, 'a zip64 field is missing')) : value);
    const uncompressedSize = wide(view.getUint32(position + 24, true));
    const compressedSize = wide(view.getUint32(position + 20, true));
    const localHeaderOffset = wide(view.getUint32(position + 42, true));
    entries.set(name, { name, method: view.getUint16(position + 10, true), compressedSize, uncompressedSize, localHeaderOffset });
    position = nameStart + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The 64-bit values of an entry's zip64 extra field (empty when it has none). */
function zip64Values(view: DataView, start: number, length: number, filePath: string): number[] {
  for (let position = start; position + 4 <= start + length; ) {
    const id = view.getUint16(position, true);
    const size = view.getUint16(position + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      const values: number[] = [];
      for (let offset = 0; offset + 8 <= size; offset += 8) values.push(u64(view, position + 4 + offset, filePath));
      return values;
    }
    position += 4 + size;
  }
  return [];
}

function u64(view: DataView, offset: number, filePath: string): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) damaged(filePath, 'a zip64 size is out of range');
  return Number(value);
}

function damaged(filePath: string, detail: string): never {
  throw new MaskLoopError(
    'TRUNCATED_FILE',
    `${fileLabel(filePath)} is damaged (${detail}); download or copy the checkpoint again.`,
  );
}
