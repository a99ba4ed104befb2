import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import { buildSamDecoder, type SamDecoderOutputs } from '../../src-main/sam/sam-decoder-graph.js';
import { createSession, float32Output, float32Tensor, runSession, type Feeds, type SamSession } from '../../src-main/sam/onnx-runtime.js';
import { applyBoxes, applyCoords } from '../../src-main/sam/transforms.js';
import { inferSamConfig } from '../../src-main/sam/variants.js';
import { checkpointPath, manifest, maxAbsDiff, readReferenceFloat32, referencePath, type ReferenceCase, type ReferenceImage } from '../support/sam-reference.js';

const LOW_RES = 256 * 256;

const decoders = new Map<string, Promise<SamSession>>();
/** Sessions are built once per graph and shared by the tests. */
function decoder(kind: SamDecoderOutputs | 'official'): Promise<SamSession> {
  let session = decoders.get(kind);
  if (!session) {
    session =
      kind === 'official'
        ? createSession(referencePath(manifest.official_onnx_decoder), 'official decoder')
        : builtDecoder(kind).then((bytes) => createSession(bytes, `decoder (${kind})`));
    decoders.set(kind, session);
  }
  return session;
}

async function builtDecoder(outputs: SamDecoderOutputs): Promise<Uint8Array> {
  const stateDict = await openCheckpoint(checkpointPath);
  try {
    return buildSamDecoder(stateDict, inferSamConfig(stateDict), { outputs });
  } finally {
    stateDict.close();
  }
}

/** The decoder's feeds for a prompt in original pixels, mapped to the 1024 frame as SamPredictor.predict does. */
function decoderFeeds(image: ReferenceImage, prompt: ReferenceCase['prompt'], maskInput?: Float32Array): Feeds {
  const originalSize = image.original_size;
  const coords: number[] = applyCoords(prompt.point_coords ?? [], originalSize).flat();
  const labels: number[] = [...(prompt.point_labels ?? [])];
  if (prompt.box) {
    coords.push(...applyBoxes([prompt.box], originalSize)[0]);
    labels.push(2, 3);
  } else {
    coords.push(0, 0);
    labels.push(-1);
  }
  return {
    image_embeddings: float32Tensor(readReferenceFloat32(image.embedding.file), [1, 256, 64, 64]),
    point_coords: float32Tensor(Float32Array.from(coords), [1, labels.length, 2]),
    point_labels: float32Tensor(Float32Array.from(labels), [1, labels.length]),
    mask_input: float32Tensor(maskInput ?? new Float32Array(LOW_RES), [1, 1, 256, 256]),
    has_mask_input: float32Tensor(Float32Array.of(maskInput ? 1 : 0), [1]),
    orig_im_size: float32Tensor(Float32Array.from(originalSize), [2]),
  };
}

/** Every prompt case of the fixtures, `point.refine` fed the point case's third low-res mask as SamPredictor was. */
function referenceCases(image: ReferenceImage): { name: string; reference: ReferenceCase; maskInput?: Float32Array }[] {
  const { point, box, points_box: pointsBox, two_points: twoPoints } = image.cases;
  const pointLowRes = readReferenceFloat32(point.low_res_logits.file);
  return [
    { name: 'point', reference: point },
    { name: 'box', reference: box },
    { name: 'points_box', reference: pointsBox },
    { name: 'two_points', reference: twoPoints },
    { name: 'point.refine', reference: point.refine!, maskInput: pointLowRes.slice(2 * LOW_RES, 3 * LOW_RES) },
  ];
}

const OUTPUT_NAMES = ['masks', 'iou_predictions', 'low_res_masks'] as const;

for (const tag of ['exact', 'resized'] as const) {
  const image = manifest.images[tag];
  for (const { name, reference, maskInput } of referenceCases(image)) {
    test(`the built decoder matches PyTorch SAM and the official ONNX decoder on ${tag} ${name}`, async (t) => {
      const feeds = decoderFeeds(image, reference.prompt, maskInput);
      const outputs = await runSession(await decoder('all'), feeds);
      // SamPredictor keeps mask 0 for a single mask, masks 1..3 for multimask output.
      const [first, end] = reference.prompt.multimask_output ? [1, 4] : [0, 1];
      const lowRes = float32Output(outputs, 'low_res_masks').subarray(first * LOW_RES, end * LOW_RES);
      const iou = float32Output(outputs, 'iou_predictions').subarray(first, end);
      const lowResDiff = maxAbsDiff(lowRes, readReferenceFloat32(reference.low_res_logits.file));
      const iouDiff = maxAbsDiff(iou, reference.iou_predictions);
      t.diagnostic(`vs PyTorch: low_res_logits ${lowResDiff.toExponential(2)}, iou_predictions ${iouDiff.toExponential(2)}`);
      assert.ok(lowResDiff < 2e-3, `low_res_logits differ by ${lowResDiff}`);
      assert.ok(iouDiff < 1e-3, `iou_predictions differ by ${iouDiff}`);

      if (reference.masks_logits) {
        const [height, width] = image.original_size;
        assert.deepEqual(outputs.masks.dims, [1, 4, height, width]);
        const masks = float32Output(outputs, 'masks').subarray(first * height * width, end * height * width);
        const masksDiff = maxAbsDiff(masks, readReferenceFloat32(reference.masks_logits.file));
        t.diagnostic(`vs PyTorch: masks_logits at ${height}x${width} ${masksDiff.toExponential(2)}`);
        assert.ok(masksDiff < 2e-3, `masks_logits differ by ${masksDiff}`);
      }

      const official = await runSession(await decoder('official'), feeds);
      for (const output of OUTPUT_NAMES) {
        assert.deepEqual(outputs[output].dims, official[output].dims, `${output} has the official decoder's dims`);
        const diff = maxAbsDiff(float32Output(outputs, output), float32Output(official, output));
        t.diagnostic(`vs official ONNX: ${output} ${diff.toExponential(2)}`);
        assert.ok(diff < 1e-4, `${output} differs from the official decoder's by ${diff}`);
      }
    });
  }
}

test('the built decoder agrees with the official decoder for 20 points of every label and a mask input', async (t) => {
  const image = manifest.images.exact;
  const labels = Array.from({ length: 20 }, (_, i) => (i % 5) - 1); // -1, 0, 1, 2, 3, -1, ...
  const coords = labels.flatMap((_, i) => [(i * 97) % 1024, (i * 61) % 768]);
  const feeds = {
    ...decoderFeeds(image, image.cases.point.prompt, readReferenceFloat32(image.cases.two_points.low_res_logits.file).slice(0, LOW_RES)),
    point_coords: float32Tensor(Float32Array.from(coords), [1, labels.length, 2]),
    point_labels: float32Tensor(Float32Array.from(labels), [1, labels.length]),
  };
  const outputs = await runSession(await decoder('all'), feeds);
  const official = await runSession(await decoder('official'), feeds);
  for (const output of OUTPUT_NAMES) {
    const diff = maxAbsDiff(float32Output(outputs, output), float32Output(official, output));
    t.diagnostic(`vs official ONNX: ${output} ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-4, `${output} differs from the official decoder's by ${diff}`);
  }
});

test('the single and multi graphs return the single-mask and multimask slices of the official-format graph', async () => {
  const image = manifest.images.resized;
  const feeds = decoderFeeds(image, image.cases.points_box.prompt);
  const all = await runSession(await decoder('all'), feeds);
  const [height, width] = image.original_size;
  for (const [kind, first, count] of [['single', 0, 1], ['multi', 1, 3]] as const) {
    const outputs = await runSession(await decoder(kind), feeds);
    const sizes = { masks: height * width, iou_predictions: 1, low_res_masks: LOW_RES };
    for (const output of OUTPUT_NAMES) {
      assert.equal(outputs[output].dims[1], count, `${kind} ${output} holds ${count} mask(s)`);
      const expected = float32Output(all, output).subarray(first * sizes[output], (first + count) * sizes[output]);
      const diff = maxAbsDiff(float32Output(outputs, output), expected);
      assert.ok(diff < 1e-5, `${kind} ${output} differs from the official-format graph by ${diff}`);
    }
  }
});

test('the built decoder is one self-contained file with the official decoder inputs and outputs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-decoder-'));
  try {
    const file = path.join(dir, 'sam_decoder.onnx');
    fs.writeFileSync(file, await builtDecoder('all'));
    assert.deepEqual(fs.readdirSync(dir), ['sam_decoder.onnx']);
    const size = fs.statSync(file).size;
    assert.ok(size > 15e6 && size < 18e6, `the decoder with inline weights is ${size} bytes`);
    const built = (await createSession(file, 'decoder')).session;
    const official = (await decoder('official')).session;
    assert.deepEqual(built.inputNames, official.inputNames);
    assert.deepEqual(built.outputNames, official.outputNames);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
