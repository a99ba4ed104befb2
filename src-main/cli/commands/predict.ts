// `maskloop predict`: SAM masks for points and/or a box given in original image pixels.
import sharp from 'sharp';
import { MaskLoopError } from '../../errors.js';
import { loadRgbImage } from '../../sam/image-io.js';
import { LOW_RES_SIZE, SamModel, validatePrompts, type Prompts } from '../../sam/sam-model.js';
import { Project } from '../../store/project.js';
import { applyActiveDecoder, type DecoderVersionSummary } from '../../train/decoder-versions.js';
import { parseCommandArgs, parseNumberList, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';
import { readFloat32File, writeFloat32File } from '../raw-float32.js';

export const predictCommand: CliCommand = {
  name: 'predict',
  summary: "Predict masks; points are X,Y[,LABEL] (1 foreground, 0 background), the box X0,Y0,X1,Y1, in image pixels; --project uses that project's active decoder.",
  usage: '--model CKPT [--project P] --image IMG [--point X,Y[,LABEL]]... [--box X0,Y0,X1,Y1] [--multimask] [--mask-input FILE] [--low-res-out FILE] [--mask-out PNG] [--json]',
  async run(args) {
    const { values } = parseCommandArgs('predict', args, {
      model: { type: 'string' },
      project: { type: 'string' },
      image: { type: 'string' },
      point: { type: 'string', multiple: true },
      box: { type: 'string' },
      multimask: { type: 'boolean', default: false },
      'mask-input': { type: 'string' },
      'low-res-out': { type: 'string' },
      'mask-out': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const prompts = parsePrompts(values.point ?? [], values.box);
    const maskInput = values['mask-input'] ? readFloat32File(values['mask-input'], '--mask-input', LOW_RES_SIZE * LOW_RES_SIZE) : undefined;
    const checkpoint = requireOption('predict', values.model, '--model');
    const image = await loadRgbImage(requireOption('predict', values.image, '--image'));
    validatePrompts(prompts, [image.height, image.width]);
    const model = await SamModel.load({ checkpoint });
    const decoderVersion = values.project ? await useProjectDecoder(values.project, model) : undefined;
    const embedding = await model.embed(image);
    const prediction = await model.decode(embedding, prompts, {
      multimask: values.multimask,
      maskInput: maskInput?.subarray(0, LOW_RES_SIZE * LOW_RES_SIZE),
    });

    if (values['low-res-out']) writeFloat32File(values['low-res-out'], prediction.lowResLogits);
    if (values['mask-out']) await writeMaskPng(values['mask-out'], prediction.masks[0], prediction.size);
    const positivePixels = prediction.masks.map((logits) => logits.reduce((n, v) => (v > 0 ? n + 1 : n), 0));
    if (values.json) {
      const report = {
        iou_predictions: prediction.iouPredictions,
        masks: positivePixels.map((n) => ({ positive_pixels: n })),
        model: model.id,
        decoder_version: decoderVersion?.id ?? null,
        provider: model.provider,
      };
      console.log(JSON.stringify(report));
    } else {
      prediction.iouPredictions.forEach((iou, k) => console.log(`mask ${k}: predicted IoU ${iou.toFixed(4)}, ${positivePixels[k]} pixels`));
    }
    return 0;
  },
};

/** Swaps in the project's active decoder version, if it has one. */
async function useProjectDecoder(projectFile: string, model: SamModel): Promise<DecoderVersionSummary | undefined> {
  const project = Project.open(projectFile);
  try {
    return await applyActiveDecoder(project, model);
  } finally {
    project.close();
  }
}

function parsePrompts(pointTexts: string[], boxText: string | undefined): Prompts {
  const points = pointTexts.map((text) => {
    const [x, y, label = 1] = parseNumberList('predict', '--point', text, [2, 3]);
    if (label !== 0 && label !== 1) {
      throw new MaskLoopError('INVALID_PROMPT', `predict: --point "${text}" has label ${label}; use 1 (foreground) or 0 (background).`);
    }
    return { x, y, label: label as 0 | 1 };
  });
  const box = boxText ? (parseNumberList('predict', '--box', boxText, [4]) as [number, number, number, number]) : undefined;
  if (points.length === 0 && !box) throw new MaskLoopError('INVALID_PROMPT', 'predict: give at least one --point or a --box.');
  return { points, box };
}

async function writeMaskPng(file: string, logits: Float32Array, [height, width]: readonly [number, number]): Promise<void> {
  const pixels = new Uint8Array(logits.length);
  for (let i = 0; i < logits.length; i++) pixels[i] = logits[i] > 0 ? 255 : 0;
  await sharp(pixels, { raw: { width, height, channels: 1 } }).png().toFile(file);
}
