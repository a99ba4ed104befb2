import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { MemoryStateDict } from '../../src-main/sam/checkpoint/state-dict.js';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import { buildImageEncoder, encoderWeightsPath, relativePositions } from '../../src-main/sam/image-encoder.js';
import { loadRgbImage } from '../../src-main/sam/image-io.js';
import { createSession, float32Output, float32Tensor, runSession, type SamSession } from '../../src-main/sam/onnx-runtime.js';
import { preprocessImage } from '../../src-main/sam/preprocess.js';
import { randomSamWeights } from '../../src-main/sam/random-checkpoint.js';
import { inferSamConfig, SAM_VARIANTS, type SamConfig } from '../../src-main/sam/variants.js';
import { checkpointPath, maxAbsDiff, readReferenceFloat32, referencePath, type ImageTag } from '../support/sam-reference.js';

const EMBEDDING_TOLERANCE = 2e-3;

let workDir: string;
let tinyEncoder: SamSession;

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-encoder-'));
  const checkpoint = await openCheckpoint(checkpointPath);
  try {
    const modelPath = path.join(workDir, 'tiny_encoder.onnx');
    buildImageEncoder(checkpoint, inferSamConfig(checkpoint), modelPath);
    tinyEncoder = await createSession(modelPath, 'image encoder');
  } finally {
    checkpoint.close();
  }
});

after(() => fs.rmSync(workDir, { recursive: true, force: true }));

/** in: image file -> out: image_embeddings float32[1,256,64,64] from the fixture model's encoder */
async function embed(imageFile: string): Promise<Float32Array> {
  const { input } = preprocessImage(await loadRgbImage(referencePath(imageFile)));
  const outputs = await runSession(tinyEncoder, { input_image: float32Tensor(input, [1, 3, 1024, 1024]) });
  return float32Output(outputs, 'image_embeddings');
}

function referenceEmbedding(tag: ImageTag): Float32Array {
  return readReferenceFloat32(`${tag}_embedding.bin`);
}

test('the encoder built from tiny_sam.pth embeds image_exact.png as PyTorch SAM does', async (t) => {
  const diff = maxAbsDiff(await embed('image_exact.png'), referenceEmbedding('exact'));
  t.diagnostic(`max |diff| ${diff.toExponential(2)}`);
  assert.ok(diff < EMBEDDING_TOLERANCE, `max |diff| ${diff} on image_exact.png`);
});

test('image_resized.png, resized by SAM pre-processing, embeds as PyTorch SAM does', async (t) => {
  const diff = maxAbsDiff(await embed('image_resized.png'), referenceEmbedding('resized'));
  t.diagnostic(`max |diff| ${diff.toExponential(2)}`);
  assert.ok(diff < EMBEDDING_TOLERANCE, `max |diff| ${diff} on image_resized.png`);
});

test('a small encoder graph takes input_image [1,3,1024,1024] and gives image_embeddings [1,256,64,64], weights beside it', async () => {
  const base = SAM_VARIANTS.vit_b;
  const config: SamConfig = {
    ...base,
    variant: 'custom',
    encoder: { ...base.encoder, embedDim: 32, depth: 2, numHeads: 2, globalAttnIndexes: [1] },
  };
  const weights = new MemoryStateDict('random small encoder', randomSamWeights(config, 3));
  const modelPath = path.join(workDir, 'small_encoder.onnx');
  buildImageEncoder(weights, config, modelPath);

  const weightsPath = encoderWeightsPath(modelPath);
  assert.equal(weightsPath, path.join(workDir, 'small_encoder.weights'));
  // The graph file holds no weights: the 3x3 neck conv alone is 256*256*9 floats (2.4 MB).
  assert.ok(fs.statSync(modelPath).size < 200_000, `${modelPath} is ${fs.statSync(modelPath).size} bytes`);
  assert.ok(fs.statSync(weightsPath).size > 256 * 256 * 9 * 4);
  // Attention runs in ONNX Runtime's com.microsoft MultiHeadAttention, so the model must import that domain.
  const model = onnxProto.onnx.ModelProto.decode(fs.readFileSync(modelPath));
  assert.deepEqual(
    model.opsetImport.map((opset) => [opset.domain, Number(opset.version)]),
    [['', 17], ['com.microsoft', 1]],
  );

  const session = await createSession(modelPath, 'small image encoder');
  assert.deepEqual(session.session.inputNames, ['input_image']);
  assert.deepEqual(session.session.outputNames, ['image_embeddings']);
  const input = new Float32Array(3 * 1024 * 1024).map((_, i) => Math.sin(i / 977));
  const output = (await runSession(session, { input_image: float32Tensor(input, [1, 3, 1024, 1024]) })).image_embeddings;
  assert.deepEqual(output.dims, [1, 256, 64, 64]);
  assert.ok((output.data as Float32Array).every(Number.isFinite));
});

test('relative positions are gathered by q - k + size - 1, after linear interpolation when the table has another length', () => {
  // size 2 needs 2*2-1 = 3 rows: row r holds [r, 10r]; out[q][k] = row q - k + 1.
  const exact = relativePositions(Float32Array.from([0, 0, 1, 10, 2, 20]), 3, 2, 2);
  assert.deepEqual([...exact], [1, 10, 0, 0, 2, 20, 1, 10]);
  // size 3 needs 5 rows; 3 rows [0, 10, 20] resize as F.interpolate(mode='linear', align_corners=False): [0, 4, 10, 16, 20].
  const interpolated = relativePositions(Float32Array.from([0, 10, 20]), 3, 1, 3);
  const expected = [
    [10, 4, 0],
    [16, 10, 4],
    [20, 16, 10],
  ].flat();
  interpolated.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-5, `[${i}] ${value} vs ${expected[i]}`));
});
