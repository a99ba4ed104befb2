import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../../src-main/sam/checkpoint/open-checkpoint.js';
import { writeTorchArchive, writeTorchZip } from '../../../src-main/sam/checkpoint/torch-zip-writer.js';
import { concat, handMadeZip, op, pickledTensor } from './hand-made-archives.js';
import { rejectsWith } from '../../support/errors.js';
import { testTempDir } from '../../support/temp-dir.js';
import { withCheckpoint } from './with-checkpoint.js';
import { checkpointPath } from '../../support/sam-reference.js';

const tempDir = testTempDir('maskloop-torch-zip-');

const floats = (...values: number[]): Float32Array => Float32Array.from(values);
const bytesOf = (values: Float32Array): Uint8Array => new Uint8Array(values.buffer);

test('opens the fixture checkpoint with the official key names, shapes and dtypes', async () => {
  await withCheckpoint(checkpointPath, (stateDict) => {
    const names = stateDict.names();
    assert.equal(names.length, 202);
    assert.equal(names[0], 'image_encoder.pos_embed');
    assert.ok(stateDict.has('image_encoder.blocks.0.attn.qkv.weight'));
    assert.ok(stateDict.has('mask_decoder.transformer.layers.0.self_attn.q_proj.weight'));
    assert.ok(stateDict.has('prompt_encoder.pe_layer.positional_encoding_gaussian_matrix'));
    assert.deepEqual(stateDict.info('image_encoder.patch_embed.proj.weight'), {
      name: 'image_encoder.patch_embed.proj.weight',
      dtype: 'float32',
      shape: [64, 3, 16, 16],
    });
    assert.deepEqual(stateDict.info('mask_decoder.output_upscaling.0.weight').shape, [256, 64, 2, 2]);
  });
});

test('reads the fixture tensors with the values numpy reads from the same bytes', async () => {
  // Expected numbers from a one-off during development, independent of MaskLoop's reader:
  // np.frombuffer(zipfile.ZipFile('tiny_sam.pth').read('tiny_sam/data/<key>'), '<f4').reshape(shape)
  // with keys 0 (pos_embed), 165 (mask_tokens), 65 (gaussian matrix), 166 (output_upscaling.0.weight).
  await withCheckpoint(checkpointPath, (stateDict) => {
    const posEmbed = stateDict.float32('image_encoder.pos_embed');
    assert.equal(posEmbed.length, 64 * 64 * 64);
    assert.deepEqual([...posEmbed.slice(0, 4)], [-0.0031295393127948046, 0.002478959271684289, 0.0024533537216484547, -0.005169368814677]);
    assert.equal(posEmbed[posEmbed.length - 1], -0.0020085691940039396);
    const maskTokens = stateDict.float32('mask_decoder.mask_tokens.weight');
    assert.deepEqual([...maskTokens.slice(0, 3)], [0.020586621016263962, 0.010699615813791752, 0.028056537732481956]);
    assert.equal(maskTokens[3 * 256 + 255], 0.04142197594046593);
    const gaussian = stateDict.float32('prompt_encoder.pe_layer.positional_encoding_gaussian_matrix');
    assert.deepEqual([gaussian[0], gaussian[1], gaussian[255]], [1.6179836988449097, 0.4273219406604767, 0.18790054321289062]);
    const upscaling = stateDict.float32('mask_decoder.output_upscaling.0.weight');
    assert.equal(upscaling[((255 * 64 + 63) * 2 + 1) * 2 + 1], -0.08434010297060013);
    const sum = upscaling.reduce((total, value) => total + value, 0);
    assert.ok(Math.abs(sum - 22.87762178896105) < 1e-9, `sum ${sum}`);
  });
});

test('the fixture values are plausible weights: LayerNorm scales near 1, small finite weights elsewhere', async () => {
  await withCheckpoint(checkpointPath, (stateDict) => {
    const norm = stateDict.float32('image_encoder.blocks.0.norm1.weight');
    const mean = norm.reduce((total, value) => total + value, 0) / norm.length;
    assert.ok(Math.abs(mean - 1) < 0.05, `norm1 mean ${mean}`);
    for (const name of stateDict.names()) {
      const values = stateDict.float32(name);
      assert.ok(values.every(Number.isFinite), `${name} has non-finite values`);
      assert.ok(values.some((value) => value !== 0), `${name} is all zeros`);
    }
  });
});

test("writes the fixture's tensors byte for byte as torch.save did, up to the state_dict's _metadata", async () => {
  const written = path.join(tempDir, 'tiny_sam.pth');
  const tensors = await withCheckpoint(checkpointPath, (stateDict) =>
    new Map(stateDict.names().map((name) => [name, { shape: stateDict.info(name).shape, data: stateDict.float32(name) }])),
  );
  writeTorchZip(written, tensors);
  const ours = fs.readFileSync(written);
  const torchs = fs.readFileSync(checkpointPath);
  let firstDifference = 0;
  while (ours[firstDifference] === torchs[firstDifference]) firstDifference++;
  // data.pkl is the first entry, its data at byte 64 in both files. Ours ends with STOP where model.state_dict()
  // continues with EMPTY_DICT: the state that carries `_metadata`, which a plain OrderedDict does not have.
  assert.ok(firstDifference > 64 + 26_000, `files differ from byte ${firstDifference}`);
  assert.equal(ours[firstDifference], op.STOP);
  assert.equal(torchs[firstDifference], op.EMPTY_DICT);
  await withCheckpoint(written, (stateDict) => {
    assert.deepEqual(stateDict.names(), [...tensors.keys()]);
    for (const [name, tensor] of tensors) assert.deepEqual(stateDict.float32(name), tensor.data, name);
  });
});

test('round-trips float32, float16 and bfloat16 checkpoints', async () => {
  const tensors = new Map([
    ['weight', { shape: [2, 3], data: floats(0.5, -1.25, 3, 0.1, -0.0009765625, 65504) }],
    ['scalar', { shape: [], data: floats(7) }],
    ['empty', { shape: [0, 4], data: floats() }],
  ]);
  const expected = {
    float32: [0.5, -1.25, 3, Math.fround(0.1), -0.0009765625, 65504],
    // float16 keeps 11 significant bits: 0.1 becomes 0.0999755859375.
    float16: [0.5, -1.25, 3, 0.0999755859375, -0.0009765625, 65504],
    // bfloat16 keeps 8 significant bits: 0.1 becomes 0.10009765625 and 65504 becomes 65536.
    bfloat16: [0.5, -1.25, 3, 0.10009765625, -0.0009765625, 65536],
  };
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
    const filePath = path.join(tempDir, `round-trip-${dtype}.pth`);
    writeTorchZip(filePath, tensors, { dtype });
    await withCheckpoint(filePath, (stateDict) => {
      assert.deepEqual(stateDict.info('weight'), { name: 'weight', dtype, shape: [2, 3] });
      assert.deepEqual([...stateDict.float32('weight')], expected[dtype]);
      assert.deepEqual([...stateDict.float32('scalar')], [7]);
      assert.deepEqual(stateDict.info('empty').shape, [0, 4]);
      assert.equal(stateDict.float32('empty').length, 0);
    });
  }
});

test('honours storage offsets, shared storages and strides of non-contiguous views', async () => {
  const filePath = path.join(tempDir, 'views.pth');
  const storage = floats(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
  const halfStorage = new Uint16Array([0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600]); // 1, 2, 3, 4, 5, 6 in float16
  writeTorchArchive(filePath, {
    archiveName: 'views',
    storages: [
      { key: '0', dtype: 'float32', numel: 12, bytes: () => bytesOf(storage) },
      { key: '1', dtype: 'float16', numel: 6, bytes: () => new Uint8Array(halfStorage.buffer) },
    ],
    tensors: [
      { name: 'matrix', storageKey: '0', storageOffset: 0, shape: [3, 4], stride: [4, 1] },
      { name: 'transposed', storageKey: '0', storageOffset: 0, shape: [4, 3], stride: [1, 4] },
      { name: 'every_third_from_5', storageKey: '0', storageOffset: 5, shape: [2], stride: [3] },
      { name: 'row_2', storageKey: '0', storageOffset: 8, shape: [4], stride: [1] },
      { name: 'half_column_1', storageKey: '1', storageOffset: 1, shape: [2, 1], stride: [3, 1] },
    ],
  });
  await withCheckpoint(filePath, (stateDict) => {
    assert.deepEqual([...stateDict.float32('matrix')], [...storage]);
    assert.deepEqual([...stateDict.float32('transposed')], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual([...stateDict.float32('every_third_from_5')], [5, 8]);
    assert.deepEqual([...stateDict.float32('row_2')], [8, 9, 10, 11]);
    assert.deepEqual([...stateDict.float32('half_column_1')], [2, 5]);
  });
});

test('lists integer tensors but refuses to read them as weights', async () => {
  const filePath = path.join(tempDir, 'counter.pth');
  writeTorchArchive(filePath, {
    archiveName: 'counter',
    storages: [{ key: '0', dtype: 'int64', numel: 1, bytes: () => new Uint8Array(new BigInt64Array([3n]).buffer) }],
    tensors: [{ name: 'num_batches_tracked', storageKey: '0', storageOffset: 0, shape: [], stride: [] }],
  });
  await withCheckpoint(filePath, (stateDict) => {
    assert.equal(stateDict.info('num_batches_tracked').dtype, 'int64');
    assert.throws(
      () => stateDict.float32('num_batches_tracked'),
      rejectsWith('UNSUPPORTED_TENSOR', /num_batches_tracked in counter\.pth is stored as int64; MaskLoop reads weights stored as float32/),
    );
  });
});

/** A protocol-4 pickle of {'model': {'module.w': Parameter(view of storage '0'), 'module.b': ...}, 'epoch': 3, ...}. */
function trainingCheckpointPickle(): Uint8Array {
  const parameter = (tensor: Uint8Array): Uint8Array =>
    concat(
      op.SHORT_BINUNICODE('torch._utils'),
      op.SHORT_BINUNICODE('_rebuild_parameter'),
      op.STACK_GLOBAL,
      op.MEMOIZE,
      tensor,
      op.NEWTRUE,
      op.GLOBAL('collections', 'OrderedDict'),
      op.EMPTY_TUPLE,
      op.REDUCE,
      op.TUPLE3,
      op.REDUCE,
    );
  const body = concat(
    op.EMPTY_DICT,
    op.MEMOIZE,
    op.MARK,
    op.SHORT_BINUNICODE('model'),
    op.EMPTY_DICT,
    op.LONG_BINPUT(300),
    op.MARK,
    op.SHORT_BINUNICODE('module.w'),
    // w = storage[1:5] viewed as [[s1, s3], [s2, s4]]: offset 1, shape (2, 2), stride (1, 2)
    parameter(pickledTensor('FloatStorage', '0', 6, 1, [2, 2], [1, 2])),
    op.SHORT_BINUNICODE('module.b'),
    parameter(pickledTensor('FloatStorage', '0', 6, 5, [1], [1])),
    op.SETITEMS,
    op.SHORT_BINUNICODE('epoch'),
    op.BININT1(3),
    op.SHORT_BINUNICODE('lr'),
    op.BINFLOAT(1e-4),
    op.SHORT_BINUNICODE('history'),
    op.EMPTY_LIST,
    op.MARK,
    op.BININT2(1000),
    op.LONG1([0x00, 0x00, 0x00, 0x80, 0x00]),
    op.APPENDS,
    op.NONE,
    op.APPEND,
    op.SHORT_BINUNICODE('same_model'),
    op.LONG_BINGET(300),
    op.SETITEMS,
    op.STOP,
  );
  return concat(op.PROTO(4), op.FRAME(body.length), body);
}

test('reads a deflated training checkpoint: state_dict under "model", "module." prefixes, zip64 directory', async () => {
  const filePath = path.join(tempDir, 'training.pth');
  const archive = handMadeZip(
    [
      { name: 'checkpoint/data.pkl', data: trainingCheckpointPickle() },
      { name: 'checkpoint/data/0', data: bytesOf(floats(0, 1, 2, 3, 4, 5)), deflate: true },
      { name: 'checkpoint/version', data: new TextEncoder().encode('3\n') },
    ],
    { zip64Directory: true },
  );
  fs.writeFileSync(filePath, archive);
  await withCheckpoint(filePath, (stateDict) => {
    assert.deepEqual(stateDict.names(), ['w', 'b']);
    assert.deepEqual([...stateDict.float32('w')], [1, 3, 2, 4]);
    assert.deepEqual([...stateDict.float32('b')], [5]);
  });
});

test('reads big-endian storages when the archive says byteorder big', async () => {
  const filePath = path.join(tempDir, 'big-endian.pth');
  const bigEndian = new Uint8Array(8);
  new DataView(bigEndian.buffer).setFloat32(0, 1.5, false);
  new DataView(bigEndian.buffer).setFloat32(4, -2.25, false);
  const pickle = concat(op.PROTO(2), op.EMPTY_DICT, op.BINUNICODE('w'), pickledTensor('FloatStorage', '0', 2, 0, [2], [1]), op.SETITEM, op.STOP);
  fs.writeFileSync(
    filePath,
    handMadeZip([
      { name: 'be/data.pkl', data: pickle },
      { name: 'be/byteorder', data: new TextEncoder().encode('big') },
      { name: 'be/data/0', data: bigEndian },
    ]),
  );
  await withCheckpoint(filePath, (stateDict) => assert.deepEqual([...stateDict.float32('w')], [1.5, -2.25]));
});

test('rejects a cut-short copy of the fixture as TRUNCATED_FILE', async () => {
  const whole = fs.readFileSync(checkpointPath);
  for (const length of [100, Math.floor(whole.length / 2), whole.length - 1]) {
    const filePath = path.join(tempDir, `cut-${length}.pth`);
    fs.writeFileSync(filePath, whole.subarray(0, length));
    await assert.rejects(openCheckpoint(filePath), rejectsWith('TRUNCATED_FILE', /is incomplete .*download the checkpoint again/));
  }
});

test('rejects a tensor that reaches past the end of its storage as TRUNCATED_FILE', async () => {
  const filePath = path.join(tempDir, 'short-storage.pth');
  writeTorchArchive(filePath, {
    archiveName: 'short',
    storages: [{ key: '0', dtype: 'float32', numel: 10, bytes: () => bytesOf(new Float32Array(5)) }],
    tensors: [{ name: 'w', storageKey: '0', storageOffset: 0, shape: [10], stride: [1] }],
  });
  await assert.rejects(openCheckpoint(filePath), rejectsWith('TRUNCATED_FILE', /short-storage\.pth is damaged: tensor w needs 40 bytes of storage but only 20/));
});

test('rejects an archive whose tensor bytes are missing as TRUNCATED_FILE', async () => {
  const filePath = path.join(tempDir, 'no-data.pth');
  const pickle = concat(op.PROTO(2), op.EMPTY_DICT, op.BINUNICODE('w'), pickledTensor('FloatStorage', '0', 2, 0, [2], [1]), op.SETITEM, op.STOP);
  fs.writeFileSync(filePath, handMadeZip([{ name: 'nodata/data.pkl', data: pickle }]));
  await assert.rejects(openCheckpoint(filePath), rejectsWith('TRUNCATED_FILE', /bytes of tensor w \(data\/0\) are missing/));
});

test('rejects a pickled model object instead of weights, without running it', async () => {
  const filePath = path.join(tempDir, 'whole-model.pth');
  const pickle = concat(op.PROTO(2), op.GLOBAL('segment_anything.modeling.sam', 'Sam'), op.EMPTY_TUPLE, op.REDUCE, op.STOP);
  fs.writeFileSync(filePath, handMadeZip([{ name: 'model/data.pkl', data: pickle }]));
  await assert.rejects(
    openCheckpoint(filePath),
    rejectsWith('NOT_A_CHECKPOINT', /whole-model\.pth contains a pickled Python object \(segment_anything\.modeling\.sam\.Sam\).*torch\.save\(model\.state_dict\(\), path\)/),
  );
});
