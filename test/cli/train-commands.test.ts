// `maskloop train`, `models`, `predict --project` and `export-decoder` as a user runs them, on a project of stamp pages.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadRgbImage } from '../../src-main/sam/image-io.js';
import { float32Output, float32Tensor, ort } from '../../src-main/sam/onnx-runtime.js';
import { decoderPrompts, SamModel } from '../../src-main/sam/sam-model.js';
import { Project } from '../../src-main/store/project.js';
import { activateDecoder } from '../../src-main/train/decoder-versions.js';
import type { FineTuneResult } from '../../src-main/train/fine-tune.js';
import { runCli } from '../support/run-cli.js';
import { checkpointPath, maxAbsDiff } from '../support/sam-reference.js';
import { addStampPages, type StampProjectPage } from '../support/synthetic-stamps.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-cli-train-'));
const env = { MASKLOOP_CACHE_DIR: path.join(work, 'cache') };
const projectFile = path.join(work, 'stamps.maskloop');
const BOX = [20, 20, 230, 170] as const;
let pages: StampProjectPage[];
after(() => fs.rmSync(work, { recursive: true, force: true }));

before(async () => {
  const project = Project.create(projectFile, 'Stamps');
  pages = await addStampPages(project, work, 5, 700, { width: 256, height: 192 });
  project.close();
});

function oneLineError(args: string[], pattern: RegExp): void {
  const run = runCli(args, env);
  assert.notEqual(run.status, 0, args.join(' '));
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^maskloop: /);
  assert.match(lines[0], pattern);
}

test('bad train, models and export-decoder calls end in one clear line', () => {
  const empty = path.join(work, 'empty.maskloop');
  Project.create(empty, 'Empty').close();
  oneLineError(['train', projectFile], /--model is required/);
  oneLineError(['train', projectFile, '--model', checkpointPath, '--loss', 'mse'], /--loss "mse" should be one of sam, bce-dice, seed-mse/);
  oneLineError(['train', projectFile, '--model', checkpointPath, '--steps', '0'], /--steps "0" should be a whole number/);
  oneLineError(['train', empty, '--model', checkpointPath], /at least 5 accepted masks on at least 2 images.*has 0 usable masks/);
  oneLineError(['models', projectFile, '--activate', '42'], /no decoder version "42"/);
  oneLineError(['export-decoder', projectFile, '--model', checkpointPath], /export-decoder P OUT\.onnx/);
});

test('train stores a version and prints held-out IoU; models lists it; predict --project and export-decoder use it', async () => {
  const train = runCli(['train', projectFile, '--model', checkpointPath, '--steps', '2', '--heads-only', '--force-activate', '--engine', 'wasm', '--json'], env);
  assert.equal(train.status, 0, train.stderr);
  const result = JSON.parse(train.stdout) as FineTuneResult;
  assert.equal(result.outcome, 'completed');
  assert.equal(result.activated, true);
  assert.equal(typeof result.heldOutIoUBefore, 'number');
  assert.equal(typeof result.heldOutIoUAfter, 'number');
  assert.equal(result.settings?.trainable, 'heads');
  assert.match(train.stderr, /training engine: TensorFlow\.js .* WebAssembly/);
  assert.match(train.stderr, /step 2\/2/);

  const text = runCli(['models', projectFile], env);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^${result.versionId} +\\d+ +${result.heldOutIoUAfter!.toFixed(3)} +${result.heldOutIoUBefore!.toFixed(3)} +yes`, 'm'));
  const listed = JSON.parse(runCli(['models', projectFile, '--json'], env).stdout) as { versions: { id: number; active: boolean }[]; activeVersionId: number };
  assert.deepEqual(listed.versions.map((v) => [v.id, v.active]), [[result.versionId, true]]);

  const predict = (extra: string[]) => {
    const run = runCli(['predict', '--model', checkpointPath, '--image', pages[0].file, '--box', BOX.join(','), '--json', ...extra], env);
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as { decoder_version: number | null; iou_predictions: number[] };
  };
  const tuned = predict(['--project', projectFile]);
  assert.equal(tuned.decoder_version, result.versionId);
  assert.equal(predict([]).decoder_version, null);
  assert.notDeepEqual(predict([]).iou_predictions, tuned.iou_predictions);

  // The exported file is the official decoder format, and it answers as MaskLoop's running decoder with that version.
  const out = path.join(work, 'decoder.onnx');
  const exported = runCli(['export-decoder', projectFile, out, '--model', checkpointPath], env);
  assert.equal(exported.status, 0, exported.stderr);
  assert.match(exported.stdout, new RegExp(`decoder version ${result.versionId}`));
  const session = await ort.InferenceSession.create(out);
  assert.deepEqual(session.inputNames, ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size']);
  assert.deepEqual(session.outputNames, ['masks', 'iou_predictions', 'low_res_masks']);
  process.env.MASKLOOP_CACHE_DIR = env.MASKLOOP_CACHE_DIR;
  const model = await SamModel.load({ checkpoint: checkpointPath });
  const project = Project.open(projectFile);
  await activateDecoder(project, model, result.versionId, { checkpoint: checkpointPath });
  project.close();
  const embedding = await model.embed(await loadRgbImage(pages[0].file));
  const ours = await model.decode(embedding, { points: [], box: BOX }, { multimask: false });
  const { coords, labels } = decoderPrompts({ points: [], box: BOX }, embedding.originalSize);
  const official = await session.run({
    image_embeddings: float32Tensor(embedding.data, [1, 256, 64, 64]),
    point_coords: float32Tensor(coords, [1, 2, 2]),
    point_labels: float32Tensor(labels, [1, 2]),
    mask_input: float32Tensor(new Float32Array(256 * 256), [1, 1, 256, 256]),
    has_mask_input: float32Tensor(Float32Array.of(0), [1]),
    orig_im_size: float32Tensor(Float32Array.of(192, 256), [2]),
  });
  const officialMask = float32Output(official, 'masks').subarray(0, 192 * 256);
  assert.ok(maxAbsDiff(officialMask, ours.masks[0]) < 1e-4);
  assert.ok(Math.abs(float32Output(official, 'iou_predictions')[0] - ours.iouPredictions[0]) < 1e-5);

  const activatedBase = runCli(['models', projectFile, '--activate', 'base', '--json'], env);
  assert.equal((JSON.parse(activatedBase.stdout) as { activeVersionId: number | null }).activeVersionId, null);
  assert.equal(predict(['--project', projectFile]).decoder_version, null);
});
