// Builds pickles and zip archives byte by byte for tests, independently of MaskLoop's writers.
import zlib from 'node:zlib';

export type Bytes = number | readonly number[] | Uint8Array;

export function concat(...parts: Bytes[]): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') bytes.push(part);
    else bytes.push(...part);
  }
  return Uint8Array.from(bytes);
}

export function u16(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff];
}

export function u32(value: number): number[] {
  return [...u16(value & 0xffff), ...u16(value >>> 16)];
}

export function u64(value: number): number[] {
  return [...u32(value % 2 ** 32), ...u32(Math.floor(value / 2 ** 32))];
}

const utf8 = (text: string): number[] => [...new TextEncoder().encode(text)];

/** Pickle opcodes, spelled as in CPython's pickletools. */
export const op = {
  PROTO: (version: number) => [0x80, version],
  FRAME: (length: number) => [0x95, ...u64(length)],
  MARK: 0x28,
  STOP: 0x2e,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_TUPLE: 0x29,
  NONE: 0x4e,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  APPEND: 0x61,
  APPENDS: 0x65,
  REDUCE: 0x52,
  BUILD: 0x62,
  BINPERSID: 0x51,
  MEMOIZE: 0x94,
  STACK_GLOBAL: 0x93,
  BINPUT: (slot: number) => [0x71, slot],
  BINGET: (slot: number) => [0x68, slot],
  LONG_BINPUT: (slot: number) => [0x72, ...u32(slot)],
  LONG_BINGET: (slot: number) => [0x6a, ...u32(slot)],
  BININT1: (value: number) => [0x4b, value],
  BININT2: (value: number) => [0x4d, ...u16(value)],
  BININT: (value: number) => [0x4a, ...u32(value)],
  LONG1: (littleEndianBytes: readonly number[]) => [0x8a, littleEndianBytes.length, ...littleEndianBytes],
  BINFLOAT: (value: number) => {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, false);
    return [0x47, ...bytes];
  },
  BINUNICODE: (text: string) => [0x58, ...u32(utf8(text).length), ...utf8(text)],
  SHORT_BINUNICODE: (text: string) => [0x8c, utf8(text).length, ...utf8(text)],
  GLOBAL: (module: string, name: string) => [0x63, ...utf8(`${module}\n${name}\n`)],
};

/** _rebuild_tensor_v2(('storage', torch.<storageClass>, key, 'cpu', numel), offset, shape, stride, False, OrderedDict()) */
export function pickledTensor(
  storageClass: string,
  key: string,
  numel: number,
  offset: number,
  shape: readonly number[],
  stride: readonly number[],
): Uint8Array {
  const intTuple = (values: readonly number[]): Bytes[] => [op.MARK, ...values.map((value) => op.BININT(value)), op.TUPLE];
  return concat(
    op.GLOBAL('torch._utils', '_rebuild_tensor_v2'),
    op.MARK,
    op.MARK,
    op.BINUNICODE('storage'),
    op.GLOBAL('torch', storageClass),
    op.BINUNICODE(key),
    op.BINUNICODE('cpu'),
    op.BININT(numel),
    op.TUPLE,
    op.BINPERSID,
    op.BININT(offset),
    ...intTuple(shape),
    ...intTuple(stride),
    op.NEWFALSE,
    op.GLOBAL('collections', 'OrderedDict'),
    op.EMPTY_TUPLE,
    op.REDUCE,
    op.TUPLE,
    op.REDUCE,
  );
}

export interface HandMadeEntry {
  readonly name: string;
  readonly data: Uint8Array;
  readonly deflate?: boolean;
}

/**
 * A zip archive written the way generic zip tools write one (not torch's way): sizes and CRC in the local header,
 * a local extra field that the central directory does not repeat, optional deflate, and with `zip64Directory` every
 * size and offset moved into zip64 extra fields of the central directory.
 */
export function handMadeZip(entries: readonly HandMadeEntry[], options: { zip64Directory?: boolean } = {}): Uint8Array {
  const local: Bytes[] = [];
  const central: Bytes[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = utf8(entry.name);
    const stored = entry.deflate ? zlib.deflateRawSync(entry.data) : entry.data;
    const method = entry.deflate ? 8 : 0;
    const crc = zlib.crc32(entry.data);
    const localExtra = [...u16(0xcafe), ...u16(5), 1, 2, 3, 4, 5];
    const header = concat(
      u32(0x04034b50),
      u16(20),
      u16(0),
      u16(method),
      u32(0),
      u32(crc),
      u32(stored.length),
      u32(entry.data.length),
      u16(name.length),
      u16(localExtra.length),
      name,
      localExtra,
    );
    const wide = options.zip64Directory === true;
    const zip64Extra = wide ? [...u16(0x0001), ...u16(24), ...u64(entry.data.length), ...u64(stored.length), ...u64(offset)] : [];
    central.push(
      u32(0x02014b50),
      u16(20),
      u16(20),
      u16(0),
      u16(method),
      u32(0),
      u32(crc),
      u32(wide ? 0xffffffff : stored.length),
      u32(wide ? 0xffffffff : entry.data.length),
      u16(name.length),
      u16(zip64Extra.length),
      u16(0),
      u16(0),
      u16(0),
      u32(0),
      u32(wide ? 0xffffffff : offset),
      name,
      zip64Extra,
    );
    local.push(header, stored);
    offset += header.length + stored.length;
  }
  const directory = concat(...central);
  const end = concat(u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(directory.length), u32(offset), u16(0));
  return concat(...local, directory, end);
}
