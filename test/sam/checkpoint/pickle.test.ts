import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PickleDict, TorchTensorRef, unpickleTorch } from '../../../src-main/sam/checkpoint/pickle.js';
import { concat, op, pickledTensor } from './hand-made-archives.js';
import { rejectsWith } from '../../support/errors.js';

test('decodes the scalar, string and container opcodes', () => {
  const value = unpickleTorch(
    concat(
      op.PROTO(2),
      op.MARK,
      op.BININT1(255),
      op.BININT2(65535),
      op.BININT(-5 >>> 0),
      op.LONG1([0x00, 0x00, 0x00, 0x00, 0x01]), // 2^32
      op.LONG1([0xff]), // -1
      op.BINFLOAT(-2.5),
      op.NONE,
      op.NEWTRUE,
      op.NEWFALSE,
      op.BINUNICODE('größe'),
      op.SHORT_BINUNICODE('ok'),
      op.BINPUT(7),
      op.BINGET(7),
      op.EMPTY_TUPLE,
      op.BININT1(1),
      op.BININT1(2),
      op.TUPLE2,
      op.EMPTY_LIST,
      op.BININT1(9),
      op.APPEND,
      op.TUPLE,
      op.STOP,
    ),
    'values.pth',
  );
  assert.deepEqual(value, [255, 65535, -5, 2 ** 32, -1, -2.5, null, true, false, 'größe', 'ok', 'ok', [], [1, 2], [9]]);
});

test('builds tensors from _rebuild_tensor_v2, with or without the metadata argument', () => {
  const withMetadata = concat(
    // Drop the final TUPLE, REDUCE to append a seventh argument, as newer torch versions write.
    pickledTensor('HalfStorage', '3', 8, 2, [2, 3], [3, 1]).subarray(0, -2),
    op.EMPTY_DICT,
    op.TUPLE,
    op.REDUCE,
  );
  const dict = unpickleTorch(
    concat(
      op.PROTO(2),
      op.EMPTY_DICT,
      op.MARK,
      op.BINUNICODE('a'),
      pickledTensor('FloatStorage', '0', 6, 0, [6], [1]),
      op.BINUNICODE('b'),
      withMetadata,
      op.SETITEMS,
      op.STOP,
    ),
    'two-tensors.pth',
  );
  assert.ok(dict instanceof PickleDict);
  const a = dict.items.get('a');
  const b = dict.items.get('b');
  assert.ok(a instanceof TorchTensorRef && b instanceof TorchTensorRef);
  assert.deepEqual([a.storage.key, a.storage.dtype, a.storage.numel, a.storageOffset, a.shape, a.stride], ['0', 'float32', 6, 0, [6], [1]]);
  assert.deepEqual([b.storage.key, b.storage.dtype, b.storage.numel, b.storageOffset, b.shape, b.stride], ['3', 'float16', 8, 2, [2, 3], [3, 1]]);
});

test('refuses every global outside the allowed few, whether named by GLOBAL or STACK_GLOBAL', () => {
  for (const [module, name] of [
    ['os', 'system'],
    ['builtins', 'eval'],
    ['torch', 'load'],
    ['numpy.core.multiarray', '_reconstruct'],
  ]) {
    const viaGlobal = concat(op.PROTO(2), op.GLOBAL(module, name), op.MARK, op.BINUNICODE('echo hi'), op.TUPLE, op.REDUCE, op.STOP);
    assert.throws(
      () => unpickleTorch(viaGlobal, 'evil.pth'),
      rejectsWith('NOT_A_CHECKPOINT', new RegExp(`evil\\.pth contains a pickled Python object \\(${module}\\.${name}\\).*never runs code from a checkpoint`)),
    );
    const viaStackGlobal = concat(op.PROTO(4), op.SHORT_BINUNICODE(module), op.SHORT_BINUNICODE(name), op.STACK_GLOBAL, op.STOP);
    assert.throws(() => unpickleTorch(viaStackGlobal, 'evil.pth'), rejectsWith('NOT_A_CHECKPOINT', /never runs code/));
  }
});

test('a storage type it cannot convert is UNSUPPORTED_TENSOR', () => {
  const quantised = concat(op.PROTO(2), pickledTensor('QInt8Storage', '0', 4, 0, [4], [1]), op.STOP);
  assert.throws(
    () => unpickleTorch(quantised, 'int8.pth'),
    rejectsWith('UNSUPPORTED_TENSOR', /int8\.pth stores tensors as torch\.QInt8Storage, which MaskLoop cannot read/),
  );
});

test('malformed pickles are NOT_A_CHECKPOINT, never a crash', () => {
  const cases: [Uint8Array, RegExp][] = [
    // INST (0x69) is an old opcode that calls a class; it is not in the subset torch.save writes.
    [concat(op.PROTO(2), 0x69, op.STOP), /unsupported pickle opcode 0x69/],
    [concat(op.PROTO(2), op.BINUNICODE('cut')).subarray(0, 6), /the pickle ends early/],
    [concat(op.PROTO(2), op.BINGET(4), op.STOP), /memo entry 4, which was never stored/],
    [concat(op.PROTO(2), op.NONE, op.BINPERSID, op.STOP), /a persistent id that is not a storage/],
    [concat(op.PROTO(2), op.EMPTY_LIST, op.NONE, op.NONE, op.SETITEM, op.STOP), /SETITEM on something other than a dict/],
    [concat(op.PROTO(2), op.STOP), /the stack is empty/],
  ];
  for (const [bytes, detail] of cases) {
    assert.throws(() => unpickleTorch(bytes, 'bad.pth'), rejectsWith('NOT_A_CHECKPOINT', detail));
  }
});
