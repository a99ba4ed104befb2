// Writes checkpoints in torch.save's zip layout (a protocol-2 pickle of an OrderedDict of tensors), for tests and benchmarks.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { MaskLoopError } from '../../errors.js';
import { TORCH_STORAGE_DTYPES } from './pickle.js';
import type { StoredDType } from './state-dict.js';
import { contiguousStrides, elementCount, encodeFloat32, valuesOf } from './tensor-encoding.js';
import type { Float32Tensor, WritableDType } from './tensor-encoding.js';

/** One file of a zip archive; `bytes` is called once, when the entry is written. */
interface ZipEntryToWrite {
  readonly name: string;
  bytes(): Uint8Array;
}

/** A storage (`data/<key>`) of `numel` elements; `bytes` (little-endian) is called once, when it is written. */
export interface TorchStorageToWrite {
  readonly key: string;
  readonly dtype: StoredDType;
  readonly numel: number;
  bytes(): Uint8Array;
}

/** A state_dict entry: a view of a storage with element strides, as _rebuild_tensor_v2 takes it. */
export interface TorchTensorToWrite {
  readonly name: string;
  readonly storageKey: string;
  readonly storageOffset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

export interface TorchArchiveToWrite {
  /** The archive's top folder; torch.save uses the file name without its extension. */
  readonly archiveName: string;
  readonly tensors: readonly TorchTensorToWrite[];
  readonly storages: readonly TorchStorageToWrite[];
}

/** torch.save's serialization format version, written to `<archive>/version`. */
const TORCH_ARCHIVE_VERSION = '3\n';
/** torch aligns every entry's data to 64 bytes with an "FB" extra field in the local header. */
const DATA_ALIGNMENT = 64;
const MAX_U32 = 0xffffffff;

/**
 * Writes `tensors` as torch.save(OrderedDict(tensors)) would: one contiguous storage per tensor, stored as `dtype`.
 * Each tensor's `data` is read once, when its bytes are written, so lazily computed tensors stream through.
 */
export function writeTorchZip(
  filePath: string,
  tensors: ReadonlyMap<string, Float32Tensor>,
  options: { dtype?: WritableDType; archiveName?: string } = {},
): void {
  const dtype = options.dtype ?? 'float32';
  const views: TorchTensorToWrite[] = [];
  const storages: TorchStorageToWrite[] = [];
  for (const [name, tensor] of tensors) {
    const key = String(storages.length);
    views.push({ name, storageKey: key, storageOffset: 0, shape: tensor.shape, stride: contiguousStrides(tensor.shape) });
    storages.push({ key, dtype, numel: elementCount(tensor.shape), bytes: () => encodeFloat32(valuesOf(name, tensor), dtype) });
  }
  const archiveName = options.archiveName ?? path.basename(filePath, path.extname(filePath));
  writeTorchArchive(filePath, { archiveName, tensors: views, storages });
}

/** Writes a torch zip archive whose tensors may share storages, start at offsets or have any strides. */
export function writeTorchArchive(filePath: string, archive: TorchArchiveToWrite): void {
  const prefix = `${archive.archiveName}/`;
  const pickle = pickleStateDict(archive);
  // torch.save writes data.pkl, then the storages sorted by key (as strings), then version.
  const storages = [...archive.storages].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  writeZip(filePath, [
    { name: `${prefix}data.pkl`, bytes: () => pickle },
    ...storages.map((storage) => ({ name: `${prefix}data/${storage.key}`, bytes: () => storage.bytes() })),
    { name: `${prefix}version`, bytes: () => new TextEncoder().encode(TORCH_ARCHIVE_VERSION) },
  ]);
}

const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  BINUNICODE: 0x58,
  GLOBAL: 0x63,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  EMPTY_TUPLE: 0x29,
  PROTO: 0x80,
  TUPLE1: 0x85,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
} as const;

/** CPython's pickler writes SETITEMS in batches of this many items. */
const SETITEMS_BATCH = 1000;

/** The bytes CPython's protocol-2 pickler writes for torch.save(OrderedDict(tensors)), memo numbering included. */
function pickleStateDict(archive: TorchArchiveToWrite): Uint8Array {
  const storageByKey = new Map(archive.storages.map((storage) => [storage.key, storage]));
  const pickle = new PickleEncoder();
  pickle.bytes(OP.PROTO, 2);
  pickle.global('collections', 'OrderedDict');
  pickle.bytes(OP.EMPTY_TUPLE, OP.REDUCE);
  pickle.memoize();
  for (let start = 0; start < archive.tensors.length; start += SETITEMS_BATCH) {
    const batch = archive.tensors.slice(start, start + SETITEMS_BATCH);
    if (batch.length > 1) pickle.bytes(OP.MARK);
    for (const tensor of batch) {
      const storage = storageByKey.get(tensor.storageKey);
      if (!storage) throw new MaskLoopError('INVALID_ARGUMENT', `Tensor ${tensor.name} views storage ${tensor.storageKey}, which is not written.`);
      pickle.string(tensor.name);
      pickleTensor(pickle, tensor, storage);
    }
    pickle.bytes(batch.length > 1 ? OP.SETITEMS : OP.SETITEM);
  }
  pickle.bytes(OP.STOP);
  return pickle.finish();
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=OrderedDict()) */
function pickleTensor(pickle: PickleEncoder, tensor: TorchTensorToWrite, storage: TorchStorageToWrite): void {
  pickle.global('torch._utils', '_rebuild_tensor_v2');
  pickle.bytes(OP.MARK);
  // The storage is a persistent id: ('storage', StorageType, key, location, numel).
  pickle.bytes(OP.MARK);
  pickle.sharedString('storage');
  pickle.global('torch', storageClassName(storage.dtype));
  pickle.string(storage.key);
  pickle.sharedString('cpu');
  pickle.int(storage.numel);
  pickle.bytes(OP.TUPLE);
  pickle.memoize();
  pickle.bytes(OP.BINPERSID);
  pickle.int(tensor.storageOffset);
  pickle.intTuple(tensor.shape);
  pickle.intTuple(tensor.stride);
  pickle.bytes(OP.NEWFALSE);
  pickle.global('collections', 'OrderedDict');
  pickle.bytes(OP.EMPTY_TUPLE, OP.REDUCE);
  pickle.memoize();
  pickle.bytes(OP.TUPLE);
  pickle.memoize();
  pickle.bytes(OP.REDUCE);
  pickle.memoize();
}

function storageClassName(dtype: StoredDType): string {
  const qualifiedName = Object.keys(TORCH_STORAGE_DTYPES).find((name) => TORCH_STORAGE_DTYPES[name] === dtype) as string;
  return qualifiedName.slice('torch.'.length);
}

class PickleEncoder {
  private readonly output: number[] = [];
  private readonly text = new TextEncoder();
  private memoSize = 0;
  /** Memo slots of objects CPython pickles once and then refers to: globals and interned strings. */
  private readonly sharedSlots = new Map<string, number>();

  bytes(...values: number[]): void {
    this.output.push(...values);
  }

  memoize(): void {
    const slot = this.memoSize++;
    if (slot < 256) this.bytes(OP.BINPUT, slot);
    else this.bytes(OP.LONG_BINPUT, ...u32(slot));
  }

  global(module: string, name: string): void {
    if (this.reuse(`global:${module}.${name}`)) return;
    this.bytes(OP.GLOBAL, ...this.text.encode(`${module}\n${name}\n`));
    this.memoize();
  }

  /** A string object of its own (a tensor name, a storage key): memoized but never reused. */
  string(value: string): void {
    const utf8 = this.text.encode(value);
    this.bytes(OP.BINUNICODE, ...u32(utf8.length), ...utf8);
    this.memoize();
  }

  /** An interned string literal ('storage', 'cpu'): CPython pickles it once and refers back to it. */
  sharedString(value: string): void {
    if (!this.reuse(`string:${value}`)) this.string(value);
  }

  int(value: number): void {
    if (value <= 0xff) this.bytes(OP.BININT1, value);
    else if (value <= 0xffff) this.bytes(OP.BININT2, value & 0xff, value >> 8);
    else if (value <= 0x7fffffff) this.bytes(OP.BININT, ...u32(value));
    else this.bytes(OP.LONG1, ...longBytes(value));
  }

  intTuple(values: readonly number[]): void {
    if (values.length === 0) return this.bytes(OP.EMPTY_TUPLE);
    if (values.length > 3) this.bytes(OP.MARK);
    for (const value of values) this.int(value);
    this.bytes(values.length > 3 ? OP.TUPLE : OP.TUPLE1 + values.length - 1);
    this.memoize();
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.output);
  }

  /** Writes a reference to an already pickled shared object and returns true; otherwise records its slot-to-be. */
  private reuse(identity: string): boolean {
    const slot = this.sharedSlots.get(identity);
    if (slot === undefined) {
      this.sharedSlots.set(identity, this.memoSize);
      return false;
    }
    if (slot < 256) this.bytes(OP.BINGET, slot);
    else this.bytes(OP.LONG_BINGET, ...u32(slot));
    return true;
  }
}

/** LONG1's operand for a non-negative integer: its length, then little-endian two's complement bytes. */
function longBytes(value: number): number[] {
  const digits: number[] = [];
  for (let rest = BigInt(value); rest > 0n; rest >>= 8n) digits.push(Number(rest & 0xffn));
  if (digits[digits.length - 1] & 0x80) digits.push(0);
  return [digits.length, ...digits];
}

function u16(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff];
}

function u32(value: number): number[] {
  return [...u16(value & 0xffff), ...u16(value >>> 16)];
}

function u64(value: number): number[] {
  return [...u32(value % 2 ** 32), ...u32(Math.floor(value / 2 ** 32))];
}

interface WrittenEntry {
  readonly name: Uint8Array;
  readonly crc: number;
  readonly size: number;
  readonly headerOffset: number;
}

/**
 * Writes a zip archive of stored (uncompressed) entries laid out as PyTorch's writer lays them out: data aligned to 64
 * bytes, sizes and CRC in a data descriptor after the data, and a zip64 end of directory. Archives stay under 4 GiB.
 */
function writeZip(filePath: string, entries: Iterable<ZipEntryToWrite>): void {
  const fd = fs.openSync(filePath, 'w');
  try {
    let offset = 0;
    const write = (bytes: Uint8Array | number[]): void => {
      const buffer = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
      for (let written = 0; written < buffer.length; ) written += fs.writeSync(fd, buffer, written, buffer.length - written, offset + written);
      offset += buffer.length;
    };
    const written: WrittenEntry[] = [];
    const utf8 = new TextEncoder();
    for (const entry of entries) {
      const name = utf8.encode(entry.name);
      const headerOffset = offset;
      write(localHeader(name, headerOffset));
      const data = entry.bytes();
      write(data);
      const crc = zlib.crc32(data);
      write([...u32(0x08074b50), ...u32(crc), ...u32(data.length), ...u32(data.length)]);
      if (offset > MAX_U32) {
        throw new MaskLoopError('INVALID_ARGUMENT', `${path.basename(filePath)} would pass 4 GiB, more than MaskLoop's checkpoint writer supports.`);
      }
      written.push({ name, crc, size: data.length, headerOffset });
    }
    const directoryOffset = offset;
    for (const entry of written) write(centralHeader(entry));
    const directorySize = offset - directoryOffset;
    const zip64EndOffset = offset;
    write([
      ...u32(0x06064b50),
      ...u64(44),
      ...u16(0x031e),
      ...u16(0x002d),
      ...u32(0),
      ...u32(0),
      ...u64(written.length),
      ...u64(written.length),
      ...u64(directorySize),
      ...u64(directoryOffset),
    ]);
    write([...u32(0x07064b50), ...u32(0), ...u64(zip64EndOffset), ...u32(1)]);
    const count = Math.min(written.length, 0xffff);
    write([...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(count), ...u16(count), ...u32(directorySize), ...u32(directoryOffset), ...u16(0)]);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flags 0x0808: sizes follow in a data descriptor, names are UTF-8. The "FB" extra field pads the data to 64 bytes. */
function localHeader(name: Uint8Array, offset: number): Uint8Array {
  const unpadded = offset + 30 + name.length + 4;
  const padding = (DATA_ALIGNMENT - (unpadded % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
  const fixed = [...u32(0x04034b50), ...u16(0), ...u16(0x0808), ...u16(0), ...u32(0), ...u32(0), ...u32(0), ...u32(0)];
  const extra = [0x46, 0x42, ...u16(padding), ...new Array<number>(padding).fill(0x5a)];
  return Uint8Array.from([...fixed, ...u16(name.length), ...u16(extra.length), ...name, ...extra]);
}

function centralHeader(entry: WrittenEntry): Uint8Array {
  return Uint8Array.from([
    ...u32(0x02014b50),
    ...u16(0), // version made by
    ...u16(0), // version needed
    ...u16(0x0808),
    ...u16(0), // stored
    ...u32(0), // time and date
    ...u32(entry.crc),
    ...u32(entry.size),
    ...u32(entry.size),
    ...u16(entry.name.length),
    ...u16(0), // extra
    ...u16(0), // comment
    ...u16(0), // disk
    ...u16(0), // internal attributes
    ...u32(0), // external attributes
    ...u32(entry.headerOffset),
    ...entry.name,
  ]);
}
