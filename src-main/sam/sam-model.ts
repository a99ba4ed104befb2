// SamModel: a SAM checkpoint turned into two ONNX Runtime sessions; pure (no per-image state).
import fs from 'node:fs';
import path from 'node:path';
import { MaskLoopError } from '../errors.js';
import { openCheckpoint } from './checkpoint/open-checkpoint.js';
import type { StateDict } from './checkpoint/state-dict.js';
import type { RgbImage } from './image-io.js';
import { buildImageEncoder } from './image-encoder.js';
import { builtModelFiles, defaultCacheDir, fileSha256, readJson, writeFileAtomic, writeJsonAtomic } from './model-cache.js';
import { createSession, float32Output, float32Tensor, runSession, type Provider, type SamSession } from './onnx-runtime.js';
import { preprocessImage } from './preprocess.js';
import { buildSamDecoder } from './sam-decoder-graph.js';
import { applyBoxes, applyCoords } from './transforms.js';
import { assertSamWeights, type SamConfig } from './variants.js';

export const EMBEDDING_SHAPE = [256, 64, 64] as const;
export const LOW_RES_SIZE = 256;

/** The image encoder's output for one image, with the sizes needed to map prompts and masks. */
export interface ImageEmbedding {
  /** float32[256,64,64] */
  readonly data: Float32Array;
  /** (H, W) after ResizeLongestSide to 1024, before padding. */
  readonly inputSize: readonly [number, number];
  /** (H, W) of the original image. */
  readonly originalSize: readonly [number, number];
}

/** Prompts in ORIGINAL image pixels: x to the right, y down. */
export interface Prompts {
  readonly points: readonly { x: number; y: number; label: 0 | 1 }[];
  readonly box?: readonly [number, number, number, number];
}

export interface DecodeOptions {
  /** Three candidates (SAM's multimask output) instead of one. */
  readonly multimask: boolean;
  /** Low-res logits float32[256*256] of a previous prediction, fed back as mask_input. */
  readonly maskInput?: Float32Array;
}

export interface Prediction {
  /** One logits map per candidate, float32[H*W] at the original size; > 0 is inside the mask. */
  readonly masks: Float32Array[];
  readonly iouPredictions: number[];
  /** One float32[256*256] per candidate, in the padded 1024 frame (feed back as maskInput). */
  readonly lowResLogits: Float32Array[];
  readonly size: readonly [number, number];
}

export type ModelSource = { checkpoint: string } | { encoderOnnx: string; decoderOnnx: string };

export interface LoadOptions {
  cacheDir?: string;
  onProgress?: (stage: 'hashing' | 'reading' | 'building encoder' | 'building decoder' | 'starting', detail?: string) => void;
}

/** SamPredictor asks for either the single-mask answer or the three candidates; each has its own graph. */
interface DecoderSessions {
  single: SamSession;
  multi: SamSession;
}

interface BuiltMeta {
  config: SamConfig;
  checkpointSha256: string;
  builtAt: string;
}

export class SamModel {
  private constructor(
    /** Identity of the image encoder: embeddings are cached under it. */
    readonly id: string,
    readonly name: string,
    readonly config: SamConfig | undefined,
    private readonly encoder: SamSession,
    private decoders: DecoderSessions,
  ) {}

  get provider(): Provider {
    return this.encoder.provider;
  }

  static async load(source: ModelSource, options: LoadOptions = {}): Promise<SamModel> {
    if ('checkpoint' in source) return SamModel.loadCheckpoint(source.checkpoint, options);
    for (const file of [source.encoderOnnx, source.decoderOnnx]) {
      if (!fs.existsSync(file)) throw new MaskLoopError('FILE_NOT_FOUND', `${file} does not exist: check the path.`);
    }
    const sha256 = await fileSha256(source.encoderOnnx, options.cacheDir);
    const encoder = await createSession(source.encoderOnnx, 'image encoder');
    const decoder = await createSession(source.decoderOnnx, 'mask decoder');
    // An official-format decoder returns all four masks; decode() picks SamPredictor's slice from it.
    const decoders = { single: decoder, multi: decoder };
    return new SamModel(`onnx:${sha256.slice(0, 16)}`, path.basename(source.encoderOnnx), undefined, encoder, decoders);
  }

  private static async loadCheckpoint(checkpoint: string, options: LoadOptions): Promise<SamModel> {
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    options.onProgress?.('hashing', checkpoint);
    const sha256 = await fileSha256(checkpoint, cacheDir);
    const files = builtModelFiles(sha256, cacheDir);
    let meta = readJson<BuiltMeta>(files.meta);
    const complete = [files.encoder, files.decoder, files.decoderSingle, files.decoderMulti].every((f) => fs.existsSync(f));
    if (!meta || !complete) meta = await SamModel.build(checkpoint, sha256, files, options);
    options.onProgress?.('starting');
    const encoder = await createSession(files.encoder, 'image encoder');
    const decoders = {
      single: await createSession(files.decoderSingle, 'mask decoder'),
      multi: await createSession(files.decoderMulti, 'mask decoder'),
    };
    const id = `${meta.config.variant}:${sha256.slice(0, 16)}`;
    return new SamModel(id, path.basename(checkpoint), meta.config, encoder, decoders);
  }

  private static async build(
    checkpoint: string,
    sha256: string,
    files: ReturnType<typeof builtModelFiles>,
    options: LoadOptions,
  ): Promise<BuiltMeta> {
    options.onProgress?.('reading', checkpoint);
    const stateDict = await openCheckpoint(checkpoint);
    try {
      const config = assertSamWeights(stateDict);
      fs.mkdirSync(files.dir, { recursive: true });
      options.onProgress?.('building encoder', config.variant);
      await buildImageEncoder(stateDict, config, files.encoder);
      options.onProgress?.('building decoder', config.variant);
      writeFileAtomic(files.decoder, buildSamDecoder(stateDict, config, { outputs: 'all' }));
      writeFileAtomic(files.decoderSingle, buildSamDecoder(stateDict, config, { outputs: 'single' }));
      writeFileAtomic(files.decoderMulti, buildSamDecoder(stateDict, config, { outputs: 'multi' }));
      const meta: BuiltMeta = { config, checkpointSha256: sha256, builtAt: new Date().toISOString() };
      // meta.json is written last: its presence means the build finished.
      writeJsonAtomic(files.meta, meta);
      return meta;
    } finally {
      stateDict.close();
    }
  }

  /** in: image RGB uint8[H,W,3] -> out: embedding float32[256,64,64] */
  async embed(image: RgbImage): Promise<ImageEmbedding> {
    const { input, inputSize, originalSize } = preprocessImage(image);
    const outputs = await runSession(this.encoder, { input_image: float32Tensor(input, [1, 3, 1024, 1024]) });
    return { data: float32Output(outputs, 'image_embeddings'), inputSize, originalSize };
  }

  async decode(embedding: ImageEmbedding, prompts: Prompts, options: DecodeOptions): Promise<Prediction> {
    const { coords, labels } = decoderPrompts(prompts, embedding.originalSize);
    const [height, width] = embedding.originalSize;
    const pointCount = labels.length;
    const session = options.multimask ? this.decoders.multi : this.decoders.single;
    const outputs = await runSession(session, {
      image_embeddings: float32Tensor(embedding.data, [1, ...EMBEDDING_SHAPE]),
      point_coords: float32Tensor(coords, [1, pointCount, 2]),
      point_labels: float32Tensor(labels, [1, pointCount]),
      mask_input: float32Tensor(options.maskInput ?? new Float32Array(LOW_RES_SIZE * LOW_RES_SIZE), [1, 1, LOW_RES_SIZE, LOW_RES_SIZE]),
      has_mask_input: float32Tensor(Float32Array.of(options.maskInput ? 1 : 0), [1]),
      orig_im_size: float32Tensor(Float32Array.of(height, width), [2]),
    });
    const selected = selectedMasks(float32Output(outputs, 'iou_predictions').length, options.multimask);
    const masks = float32Output(outputs, 'masks');
    const lowRes = float32Output(outputs, 'low_res_masks');
    const iou = float32Output(outputs, 'iou_predictions');
    const maskArea = height * width;
    const lowResArea = LOW_RES_SIZE * LOW_RES_SIZE;
    return {
      masks: selected.map((k) => masks.slice(k * maskArea, (k + 1) * maskArea)),
      lowResLogits: selected.map((k) => lowRes.slice(k * lowResArea, (k + 1) * lowResArea)),
      iouPredictions: selected.map((k) => iou[k]),
      size: [height, width],
    };
  }

  /** Replaces the running decoder (e.g. with a fine-tuned one) without touching the encoder or its embeddings. */
  async swapDecoder(decoderWeights: StateDict): Promise<void> {
    if (!this.config) {
      throw new MaskLoopError('MODEL_MISMATCH', 'This model was loaded from ONNX files; load it from its checkpoint to use a fine-tuned decoder.');
    }
    this.decoders = {
      single: await createSession(buildSamDecoder(decoderWeights, this.config, { outputs: 'single' }), 'mask decoder'),
      multi: await createSession(buildSamDecoder(decoderWeights, this.config, { outputs: 'multi' }), 'mask decoder'),
    };
  }
}

/**
 * Indices of the masks SamPredictor returns: an official-format graph (4 outputs) holds the single-mask
 * answer at 0 and the candidates at 1..3; MaskLoop's own graphs return exactly the asked-for ones.
 */
function selectedMasks(outputCount: number, multimask: boolean): number[] {
  if (outputCount === 4) return multimask ? [1, 2, 3] : [0];
  return Array.from({ length: outputCount }, (_, k) => k);
}

/**
 * Maps prompts from original pixels to the decoder's inputs in the 1024 frame, as SamPredictor does:
 * points first, then the box as two corners labelled 2 and 3; without a box a padding point (0,0)
 * labelled -1 is appended.
 */
export function decoderPrompts(prompts: Prompts, originalSize: readonly [number, number]): { coords: Float32Array; labels: Float32Array } {
  validatePrompts(prompts, originalSize);
  const size: [number, number] = [originalSize[0], originalSize[1]];
  const coords: number[] = applyCoords(prompts.points.map((p) => [p.x, p.y] as [number, number]), size).flat();
  const labels: number[] = prompts.points.map((p) => p.label);
  if (prompts.box) {
    const [x0, y0, x1, y1] = applyBoxes([[...prompts.box] as [number, number, number, number]], size)[0];
    coords.push(x0, y0, x1, y1);
    labels.push(2, 3);
  } else {
    coords.push(0, 0);
    labels.push(-1);
  }
  return { coords: Float32Array.from(coords), labels: Float32Array.from(labels) };
}

/** Throws a MaskLoopError for prompts SAM cannot use: none at all, outside the image, an empty box. */
export function validatePrompts(prompts: Prompts, [height, width]: readonly [number, number]): void {
  if (prompts.points.length === 0 && !prompts.box) {
    throw new MaskLoopError('INVALID_PROMPT', 'Give at least one point or a box to predict a mask.');
  }
  const inside = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && x >= 0 && y >= 0 && x <= width && y <= height;
  for (const { x, y, label } of prompts.points) {
    if (!inside(x, y)) {
      throw new MaskLoopError('PROMPT_OUTSIDE_IMAGE', `The point (${x}, ${y}) is outside the ${width}x${height} image.`);
    }
    if (label !== 0 && label !== 1) throw new MaskLoopError('INVALID_PROMPT', `A point label must be 1 (foreground) or 0 (background), not ${label}.`);
  }
  if (prompts.box) {
    const [x0, y0, x1, y1] = prompts.box;
    if (!inside(x0, y0) || !inside(x1, y1)) {
      throw new MaskLoopError('PROMPT_OUTSIDE_IMAGE', `The box (${x0}, ${y0}, ${x1}, ${y1}) reaches outside the ${width}x${height} image.`);
    }
    if (x1 <= x0 || y1 <= y0) {
      throw new MaskLoopError('INVALID_PROMPT', `The box (${x0}, ${y0}, ${x1}, ${y1}) is empty: give it as x0,y0,x1,y1 with x1 > x0 and y1 > y0.`);
    }
  }
}
