// Unpickles the subset of Python pickle that torch.save writes for a state_dict, without ever running code from the file.
import { MaskLoopError } from '../../errors.js';
import type { StoredDType } from './state-dict.js';

/** A storage named by a persistent id ('storage', StorageType, key, location, numel); its bytes are `data/<key>`. */
export class TorchStorageRef {
  constructor(
    readonly key: string,
    readonly dtype: StoredDType,
    readonly numel: number,
  ) {}
}

/** What torch._utils._rebuild_tensor_v2 would build: a strided view (in elements) of a storage. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/** A dict or collections.OrderedDict. */
export class PickleDict {
  readonly items = new Map<string | number, PickleValue>();
}

/** One of the allowed globals (a callable or a storage class); nothing else can be named by a checkpoint. */
export class PickleGlobal {
  constructor(
    readonly qualifiedName: string,
    /** Set for storage classes such as torch.FloatStorage. */
    readonly storageDType?: StoredDType,
  ) {}
}

/** Tuples and lists are both arrays. */
export type PickleValue =
  | null
  | boolean
  | number
  | string
  | PickleValue[]
  | PickleDict
  | PickleGlobal
  | TorchStorageRef
  | TorchTensorRef;

const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR_V2 = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const ALLOWED_CALLABLES = new Set([ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_PARAMETER]);

export const TORCH_STORAGE_DTYPES: Readonly<Record<string, StoredDType>> = {
  'torch.FloatStorage': 'float32',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
  'torch.DoubleStorage': 'float64',
  'torch.LongStorage': 'int64',
  'torch.IntStorage': 'int32',
  'torch.ByteStorage': 'uint8',
  'torch.BoolStorage': 'bool',
};

const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  SHORT_BINUNICODE: 0x8c,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

/**
 * in: the bytes of a checkpoint's data.pkl; out: the unpickled value, with tensors as TorchTensorRef.
 * `label` names the file in error messages. Any global outside the allowed few is refused.
 */
export function unpickleTorch(bytes: Uint8Array, label: string): PickleValue {
  return new TorchUnpickler(bytes, label).load();
}

class TorchUnpickler {
  private readonly view: DataView;
  private readonly text = new TextDecoder('utf-8', { fatal: true });
  private position = 0;
  private stack: PickleValue[] = [];
  private readonly markStack: PickleValue[][] = [];
  private readonly memo = new Map<number, PickleValue>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly label: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  load(): PickleValue {
    for (;;) {
      const opcode = this.u8();
      if (opcode === OP.STOP) return this.pop();
      this.execute(opcode);
    }
  }

  private execute(opcode: number): void {
    switch (opcode) {
      case OP.PROTO:
        this.u8();
        return;
      case OP.FRAME:
        this.take(8);
        return;
      case OP.MARK:
        this.markStack.push(this.stack);
        this.stack = [];
        return;
      case OP.EMPTY_DICT:
        return this.push(new PickleDict());
      case OP.EMPTY_LIST:
      case OP.EMPTY_TUPLE:
        return this.push([]);
      case OP.NONE:
        return this.push(null);
      case OP.NEWTRUE:
        return this.push(true);
      case OP.NEWFALSE:
        return this.push(false);
      case OP.BININT:
        return this.push(this.view.getInt32(this.advance(4), true));
      case OP.BININT1:
        return this.push(this.u8());
      case OP.BININT2:
        return this.push(this.view.getUint16(this.advance(2), true));
      case OP.LONG1:
        return this.push(this.long(this.u8()));
      case OP.BINFLOAT:
        return this.push(this.view.getFloat64(this.advance(8), false));
      case OP.BINUNICODE:
        return this.push(this.utf8(this.view.getUint32(this.advance(4), true)));
      case OP.SHORT_BINUNICODE:
        return this.push(this.utf8(this.u8()));
      case OP.TUPLE:
        return this.push(this.popMark());
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const count = opcode - OP.TUPLE1 + 1;
        if (this.stack.length < count) this.malformed('a tuple needs more values than the stack holds');
        return this.push(this.stack.splice(this.stack.length - count, count));
      }
      case OP.APPEND: {
        const value = this.pop();
        this.list(this.top()).push(value);
        return;
      }
      case OP.APPENDS: {
        const values = this.popMark();
        this.list(this.top()).push(...values);
        return;
      }
      case OP.SETITEM: {
        const value = this.pop();
        const key = this.pop();
        this.setItem(this.top(), key, value);
        return;
      }
      case OP.SETITEMS: {
        const values = this.popMark();
        const dict = this.top();
        for (let i = 0; i + 1 < values.length; i += 2) this.setItem(dict, values[i], values[i + 1]);
        return;
      }
      case OP.GLOBAL:
        return this.push(this.global(this.line(), this.line()));
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') this.malformed('STACK_GLOBAL needs two strings');
        return this.push(this.global(module, name));
      }
      case OP.REDUCE: {
        const args = this.pop();
        const callable = this.pop();
        return this.push(this.reduce(callable, args));
      }
      case OP.BUILD: {
        this.pop();
        // The only state torch.save attaches is a state_dict's `_metadata` (module versions), which MaskLoop ignores.
        if (!(this.top() instanceof PickleDict)) this.malformed('BUILD on something other than a dict');
        return;
      }
      case OP.BINPERSID:
        return this.push(this.persistentStorage(this.pop()));
      case OP.BINPUT:
        this.memo.set(this.u8(), this.top());
        return;
      case OP.LONG_BINPUT:
        this.memo.set(this.view.getUint32(this.advance(4), true), this.top());
        return;
      case OP.MEMOIZE:
        this.memo.set(this.memo.size, this.top());
        return;
      case OP.BINGET:
        return this.push(this.memoValue(this.u8()));
      case OP.LONG_BINGET:
        return this.push(this.memoValue(this.view.getUint32(this.advance(4), true)));
      default:
        this.malformed(`unsupported pickle opcode 0x${opcode.toString(16).padStart(2, '0')}`);
    }
  }

  private global(module: string, name: string): PickleGlobal {
    const qualifiedName = `${module}.${name}`;
    if (ALLOWED_CALLABLES.has(qualifiedName)) return new PickleGlobal(qualifiedName);
    const storageDType = TORCH_STORAGE_DTYPES[qualifiedName];
    if (storageDType) return new PickleGlobal(qualifiedName, storageDType);
    if (module === 'torch' && name.endsWith('Storage')) {
      throw new MaskLoopError(
        'UNSUPPORTED_TENSOR',
        `${this.label} stores tensors as ${qualifiedName}, which MaskLoop cannot read; save the weights as float32, float16 or bfloat16.`,
      );
    }
    throw new MaskLoopError(
      'NOT_A_CHECKPOINT',
      `${this.label} contains a pickled Python object (${qualifiedName}), not just weights; MaskLoop never runs code from a checkpoint, so save the weights alone with torch.save(model.state_dict(), path) and open that file.`,
    );
  }

  private reduce(callable: PickleValue, args: PickleValue): PickleValue {
    if (!(callable instanceof PickleGlobal) || callable.storageDType) this.malformed('REDUCE of something that is not callable');
    if (!Array.isArray(args)) this.malformed('REDUCE without an argument tuple');
    switch (callable.qualifiedName) {
      case ORDERED_DICT:
        if (args.length !== 0) this.malformed('OrderedDict built from arguments');
        return new PickleDict();
      case REBUILD_TENSOR_V2:
        return this.rebuildTensor(args);
      case REBUILD_PARAMETER: {
        // _rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its tensor.
        const [data] = args;
        if (!(data instanceof TorchTensorRef)) this.malformed('a Parameter without a tensor');
        return data;
      }
      default:
        return this.malformed(`a call of ${callable.qualifiedName}`);
    }
  }

  /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
  private rebuildTensor(args: PickleValue[]): TorchTensorRef {
    const [storage, storageOffset, shape, stride] = args;
    if (args.length < 6 || !(storage instanceof TorchStorageRef)) this.malformed('a tensor without its storage');
    const shapeSizes = this.naturals(shape, 'tensor size');
    const strides = this.naturals(stride, 'tensor stride');
    if (typeof storageOffset !== 'number' || storageOffset < 0 || strides.length !== shapeSizes.length) {
      this.malformed('a tensor whose offset or strides do not fit its size');
    }
    return new TorchTensorRef(storage, storageOffset, shapeSizes, strides);
  }

  /** ('storage', StorageType, key, location, numel) -> the storage it names. */
  private persistentStorage(pid: PickleValue): TorchStorageRef {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5) this.malformed('a persistent id that is not a storage');
    const [, storageType, key, , numel] = pid;
    if (!(storageType instanceof PickleGlobal) || !storageType.storageDType) this.malformed('a storage without a storage type');
    if (typeof key !== 'string' || typeof numel !== 'number' || numel < 0) this.malformed('a storage without key or size');
    return new TorchStorageRef(key, storageType.storageDType, numel);
  }

  private naturals(value: PickleValue | undefined, what: string): number[] {
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'number' && Number.isInteger(item) && item >= 0)) {
      this.malformed(`a ${what} that is not a tuple of non-negative integers`);
    }
    return value as number[];
  }

  private setItem(target: PickleValue, key: PickleValue, value: PickleValue): void {
    if (!(target instanceof PickleDict)) this.malformed('SETITEM on something other than a dict');
    if (typeof key !== 'string' && typeof key !== 'number') this.malformed('a dict key that is not a string or a number');
    target.items.set(key, value);
  }

  private list(target: PickleValue): PickleValue[] {
    if (!Array.isArray(target)) this.malformed('APPEND on something other than a list');
    return target;
  }

  private long(length: number): number {
    const digits = this.take(length);
    let value = 0n;
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(digits[i]);
    if (length > 0 && digits[length - 1] & 0x80) value -= 1n << BigInt(8 * length);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.malformed('an integer too large to be a tensor size');
    }
    return Number(value);
  }

  private memoValue(index: number): PickleValue {
    const value = this.memo.get(index);
    if (value === undefined) this.malformed(`a reference to memo entry ${index}, which was never stored`);
    return value;
  }

  private popMark(): PickleValue[] {
    const items = this.stack;
    const outer = this.markStack.pop();
    if (!outer) this.malformed('a MARK was expected');
    this.stack = outer;
    return items;
  }

  private push(value: PickleValue): void {
    this.stack.push(value);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0) this.malformed('the stack is empty');
    return this.stack.pop() as PickleValue;
  }

  private top(): PickleValue {
    if (this.stack.length === 0) this.malformed('the stack is empty');
    return this.stack[this.stack.length - 1];
  }

  private u8(): number {
    return this.view.getUint8(this.advance(1));
  }

  private utf8(length: number): string {
    try {
      return this.text.decode(this.take(length));
    } catch (error) {
      if (error instanceof MaskLoopError) throw error;
      return this.malformed('a string that is not UTF-8');
    }
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) this.malformed('a GLOBAL name without its line end');
    const value = new TextDecoder('latin1').decode(this.bytes.subarray(this.position, end));
    this.position = end + 1;
    return value;
  }

  private take(length: number): Uint8Array {
    const start = this.advance(length);
    return this.bytes.subarray(start, start + length);
  }

  /** Moves past `length` bytes and returns where they start. */
  private advance(length: number): number {
    const start = this.position;
    if (start + length > this.bytes.length) this.malformed('the pickle ends early');
    this.position += length;
    return start;
  }

  private malformed(detail: string): never {
    throw new MaskLoopError(
      'NOT_A_CHECKPOINT',
      `${this.label} is not a readable PyTorch state_dict (${detail} at byte ${this.position} of data.pkl); re-save the weights with torch.save(model.state_dict(), path).`,
    );
  }
}
