import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { checkpointPath, manifest, maxAbsDiff, readReferenceFloat32, referencePath } from '../support/sam-reference.js';
import { runCli } from '../support/run-cli.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-cli-'));
const env = { MASKLOOP_CACHE_DIR: path.join(work, 'cache') };
const image = referencePath(manifest.images.exact.file);
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('embed writes the embedding as raw float32 [256,64,64] equal to the reference', () => {
  const out = path.join(work, 'embedding.bin');
  const run = runCli(['embed', '--model', checkpointPath, '--image', image, '--out', out], env);
  assert.equal(run.status, 0, run.stderr);
  const bytes = fs.readFileSync(out);
  assert.equal(bytes.byteLength, 256 * 64 * 64 * 4);
  const embedding = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  assert.ok(maxAbsDiff(embedding, readReferenceFloat32(manifest.images.exact.embedding.file)) < 2e-3);
});

test('predict --json prints IoU predictions, positive pixels, model and provider; --mask-out and --low-res-out write files', async () => {
  const point = manifest.images.exact.cases.point;
  const [x, y] = point.prompt.point_coords![0];
  const lowResOut = path.join(work, 'low-res.bin');
  const maskOut = path.join(work, 'mask.png');
  const run = runCli(
    ['predict', '--model', checkpointPath, '--image', image, '--point', `${x},${y}`, '--multimask', '--json', '--low-res-out', lowResOut, '--mask-out', maskOut],
    env,
  );
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { iou_predictions: number[]; masks: { positive_pixels: number }[]; model: string; provider: string };
  assert.ok(maxAbsDiff(report.iou_predictions, point.iou_predictions) < 1e-3);
  report.masks.forEach((m, k) => assert.ok(Math.abs(m.positive_pixels - point.mask_positive_pixels![k]) <= 20));
  assert.match(report.model, /^custom:[0-9a-f]{16}$/);
  assert.equal(report.provider, 'cpu');
  assert.equal(fs.statSync(lowResOut).size, 3 * 256 * 256 * 4);
  const mask = await sharp(maskOut).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([mask.info.width, mask.info.height], [1024, 768]);
  assert.equal(mask.data.reduce((n, v) => (v > 0 ? n + 1 : n), 0) / mask.info.channels, report.masks[0].positive_pixels);
});

test('predict --mask-input feeds the given low-res logits back, as the refine round of the reference', () => {
  const point = manifest.images.exact.cases.point;
  const maskInput = path.join(work, 'mask-input.bin');
  fs.writeFileSync(maskInput, readReferenceFloat32(point.low_res_logits.file).subarray(2 * 65536));
  const refine = point.refine!;
  const points = refine.prompt.point_coords!.flatMap(([x, y]) => ['--point', `${x},${y},1`]);
  const run = runCli(['predict', '--model', checkpointPath, '--image', image, ...points, '--mask-input', maskInput, '--json'], env);
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { iou_predictions: number[] };
  assert.ok(Math.abs(report.iou_predictions[0] - refine.iou_predictions[0]) < 1e-3);
});

test('bad inputs exit non-zero with one clear line and no stack trace', () => {
  const notAnImage = path.join(work, 'notes.txt');
  fs.writeFileSync(notAnImage, 'hello');
  const truncated = path.join(work, 'truncated.pth');
  fs.writeFileSync(truncated, fs.readFileSync(checkpointPath).subarray(0, 4096));
  const cases: [string[], RegExp][] = [
    [['predict', '--model', path.join(work, 'missing.pth'), '--image', image, '--point', '5,5'], /missing\.pth/],
    [['predict', '--model', notAnImage, '--image', image, '--point', '5,5'], /not a SAM checkpoint|checkpoint/i],
    [['predict', '--model', truncated, '--image', image, '--point', '5,5'], /truncated|damaged|incomplete/i],
    [['predict', '--model', checkpointPath, '--image', notAnImage, '--point', '5,5'], /not an image/],
    [['predict', '--model', checkpointPath, '--image', image, '--point', '5000,5'], /outside the 1024x768 image/],
    [['predict', '--model', checkpointPath, '--image', image, '--point', '5,5,7'], /label 7/],
    [['predict', '--model', checkpointPath, '--image', image], /at least one --point or a --box/],
    [['predict', '--model', checkpointPath, '--image', image, '--box', '1,2,3'], /--box "1,2,3" should be 4/],
    [['embed', '--image', image, '--out', path.join(work, 'x.bin')], /--model is required/],
    [['embed', '--model', checkpointPath, '--image', image, '--bogus'], /Unknown option/],
  ];
  for (const [args, message] of cases) {
    const run = runCli(args, env);
    assert.notEqual(run.status, 0, args.join(' '));
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${run.stderr}`);
    assert.match(lines[0], /^maskloop: /);
    assert.match(lines[0], message);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  }
});
