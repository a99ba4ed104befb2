// SAM's sizes as data: the vit_b / vit_l / vit_h table, a checkpoint's sizes inferred from its tensor shapes, its expected tensors.
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { MaskLoopError } from '../errors.js';
import type { StateDict } from './checkpoint/state-dict.js';

export type SamVariant = 'vit_b' | 'vit_l' | 'vit_h';

export interface SamEncoderConfig {
  readonly embedDim: number;
  readonly depth: number;
  readonly numHeads: number;
  /** Blocks that attend over the whole patch grid; the others attend within windowSize x windowSize windows. */
  readonly globalAttnIndexes: readonly number[];
  /** 0 when every block is global. */
  readonly windowSize: number;
  readonly patchSize: number;
  /** Side of the square input in the 1024 frame. */
  readonly imgSize: number;
  /** Channels of the neck's output, the image embedding [1, outChans, 64, 64]. */
  readonly outChans: number;
  readonly mlpRatio: number;
  readonly useRelPos: boolean;
}

export interface SamDecoderConfig {
  readonly transformerDepth: number;
  readonly mlpDim: number;
  readonly numHeads: number;
  readonly numMultimaskOutputs: number;
  readonly iouHeadDepth: number;
  readonly iouHeadHiddenDim: number;
}

export interface SamConfig {
  readonly variant: SamVariant | 'custom';
  readonly encoder: SamEncoderConfig;
  /** Channels of prompt tokens and of the mask decoder's transformer (256). */
  readonly promptEmbedDim: number;
  /** Side of the image embedding grid, imgSize / patchSize (64). */
  readonly imageEmbeddingSize: number;
  readonly maskInChans: number;
  readonly decoder: SamDecoderConfig;
}

/** One tensor of a SAM state_dict. `kind` says how it is initialised: LayerNorm scales near 1, the Fourier matrix N(0, 1). */
export interface SamTensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: 'weight' | 'layer-norm-scale' | 'fourier-gaussian';
}

/** TwoWayTransformer's cross attentions project to embedding_dim / 2 (attention_downsample_rate = 2). */
const CROSS_ATTENTION_DOWNSAMPLE = 2;
/** The decoder's head count leaves no trace in the weights' shapes; every SAM checkpoint uses 8. */
const SAM_DECODER_HEADS = 8;
const OFFICIAL_CHECKPOINTS = 'sam_vit_b_01ec64.pth, sam_vit_l_0b3195.pth or sam_vit_h_4b8939.pth';

/** build_sam.py's _build_sam: only the encoder's width, depth, heads and global blocks differ between variants. */
function buildSamConfig(
  variant: SamVariant,
  embedDim: number,
  depth: number,
  numHeads: number,
  globalAttnIndexes: readonly number[],
): SamConfig {
  return {
    variant,
    encoder: {
      embedDim,
      depth,
      numHeads,
      globalAttnIndexes,
      windowSize: 14,
      patchSize: 16,
      imgSize: 1024,
      outChans: 256,
      mlpRatio: 4,
      useRelPos: true,
    },
    promptEmbedDim: 256,
    imageEmbeddingSize: 64,
    maskInChans: 16,
    decoder: {
      transformerDepth: 2,
      mlpDim: 2048,
      numHeads: SAM_DECODER_HEADS,
      numMultimaskOutputs: 3,
      iouHeadDepth: 3,
      iouHeadHiddenDim: 256,
    },
  };
}

export const SAM_VARIANTS: Readonly<Record<SamVariant, SamConfig>> = {
  vit_b: buildSamConfig('vit_b', 768, 12, 12, [2, 5, 8, 11]),
  vit_l: buildSamConfig('vit_l', 1024, 24, 16, [5, 11, 17, 23]),
  vit_h: buildSamConfig('vit_h', 1280, 32, 16, [7, 15, 23, 31]),
};

/** Every tensor of a SAM state_dict for `config`, named and ordered as segment-anything's Sam.state_dict(). */
export function samTensorSpecs(config: SamConfig): SamTensorSpec[] {
  const specs: SamTensorSpec[] = [];
  const weight = (name: string, ...shape: number[]): void => void specs.push({ name, shape, kind: 'weight' });
  const linear = (prefix: string, outDim: number, inDim: number): void => {
    weight(`${prefix}.weight`, outDim, inDim);
    weight(`${prefix}.bias`, outDim);
  };
  const layerNorm = (prefix: string, dim: number): void => {
    specs.push({ name: `${prefix}.weight`, shape: [dim], kind: 'layer-norm-scale' });
    weight(`${prefix}.bias`, dim);
  };
  const conv = (prefix: string, outChannels: number, inChannels: number, kernel: number): void => {
    weight(`${prefix}.weight`, outChannels, inChannels, kernel, kernel);
    weight(`${prefix}.bias`, outChannels);
  };
  // ConvTranspose2d weights are [in, out, k, k].
  const convTranspose = (prefix: string, inChannels: number, outChannels: number, kernel: number): void => {
    weight(`${prefix}.weight`, inChannels, outChannels, kernel, kernel);
    weight(`${prefix}.bias`, outChannels);
  };

  // image_encoder: ImageEncoderViT
  const encoder = config.encoder;
  const embed = encoder.embedDim;
  const grid = encoder.imgSize / encoder.patchSize;
  const headDim = embed / encoder.numHeads;
  const mlpHidden = Math.trunc(embed * encoder.mlpRatio);
  weight('image_encoder.pos_embed', 1, grid, grid, embed);
  conv('image_encoder.patch_embed.proj', embed, 3, encoder.patchSize);
  for (let block = 0; block < encoder.depth; block++) {
    const prefix = `image_encoder.blocks.${block}`;
    layerNorm(`${prefix}.norm1`, embed);
    if (encoder.useRelPos) {
      const attentionSize = encoder.globalAttnIndexes.includes(block) ? grid : encoder.windowSize;
      weight(`${prefix}.attn.rel_pos_h`, 2 * attentionSize - 1, headDim);
      weight(`${prefix}.attn.rel_pos_w`, 2 * attentionSize - 1, headDim);
    }
    linear(`${prefix}.attn.qkv`, 3 * embed, embed);
    linear(`${prefix}.attn.proj`, embed, embed);
    layerNorm(`${prefix}.norm2`, embed);
    linear(`${prefix}.mlp.lin1`, mlpHidden, embed);
    linear(`${prefix}.mlp.lin2`, embed, mlpHidden);
  }
  weight('image_encoder.neck.0.weight', encoder.outChans, embed, 1, 1);
  layerNorm('image_encoder.neck.1', encoder.outChans);
  weight('image_encoder.neck.2.weight', encoder.outChans, encoder.outChans, 3, 3);
  layerNorm('image_encoder.neck.3', encoder.outChans);

  // prompt_encoder: PromptEncoder
  const prompt = config.promptEmbedDim;
  const maskChannels = config.maskInChans;
  specs.push({ name: 'prompt_encoder.pe_layer.positional_encoding_gaussian_matrix', shape: [2, prompt / 2], kind: 'fourier-gaussian' });
  for (let point = 0; point < 4; point++) weight(`prompt_encoder.point_embeddings.${point}.weight`, 1, prompt);
  weight('prompt_encoder.not_a_point_embed.weight', 1, prompt);
  conv('prompt_encoder.mask_downscaling.0', maskChannels / 4, 1, 2);
  layerNorm('prompt_encoder.mask_downscaling.1', maskChannels / 4);
  conv('prompt_encoder.mask_downscaling.3', maskChannels, maskChannels / 4, 2);
  layerNorm('prompt_encoder.mask_downscaling.4', maskChannels);
  conv('prompt_encoder.mask_downscaling.6', prompt, maskChannels, 1);
  weight('prompt_encoder.no_mask_embed.weight', 1, prompt);

  // mask_decoder: MaskDecoder with a TwoWayTransformer
  const decoder = config.decoder;
  const crossDim = prompt / CROSS_ATTENTION_DOWNSAMPLE;
  const attention = (prefix: string, internalDim: number): void => {
    for (const projection of ['q_proj', 'k_proj', 'v_proj']) linear(`${prefix}.${projection}`, internalDim, prompt);
    linear(`${prefix}.out_proj`, prompt, internalDim);
  };
  for (let layer = 0; layer < decoder.transformerDepth; layer++) {
    const prefix = `mask_decoder.transformer.layers.${layer}`;
    attention(`${prefix}.self_attn`, prompt);
    layerNorm(`${prefix}.norm1`, prompt);
    attention(`${prefix}.cross_attn_token_to_image`, crossDim);
    layerNorm(`${prefix}.norm2`, prompt);
    linear(`${prefix}.mlp.lin1`, decoder.mlpDim, prompt);
    linear(`${prefix}.mlp.lin2`, prompt, decoder.mlpDim);
    layerNorm(`${prefix}.norm3`, prompt);
    layerNorm(`${prefix}.norm4`, prompt);
    attention(`${prefix}.cross_attn_image_to_token`, crossDim);
  }
  attention('mask_decoder.transformer.final_attn_token_to_image', crossDim);
  layerNorm('mask_decoder.transformer.norm_final_attn', prompt);
  const maskTokens = decoder.numMultimaskOutputs + 1;
  weight('mask_decoder.iou_token.weight', 1, prompt);
  weight('mask_decoder.mask_tokens.weight', maskTokens, prompt);
  convTranspose('mask_decoder.output_upscaling.0', prompt, prompt / 4, 2);
  layerNorm('mask_decoder.output_upscaling.1', prompt / 4);
  convTranspose('mask_decoder.output_upscaling.3', prompt / 4, prompt / 8, 2);
  for (let token = 0; token < maskTokens; token++) {
    const prefix = `mask_decoder.output_hypernetworks_mlps.${token}.layers`;
    linear(`${prefix}.0`, prompt, prompt);
    linear(`${prefix}.1`, prompt, prompt);
    linear(`${prefix}.2`, prompt / 8, prompt);
  }
  for (let layer = 0; layer < decoder.iouHeadDepth; layer++) {
    const inDim = layer === 0 ? prompt : decoder.iouHeadHiddenDim;
    const outDim = layer === decoder.iouHeadDepth - 1 ? maskTokens : decoder.iouHeadHiddenDim;
    linear(`mask_decoder.iou_prediction_head.layers.${layer}`, outDim, inDim);
  }
  return specs;
}

export function samStateDictKeys(config: SamConfig): string[] {
  return samTensorSpecs(config).map((spec) => spec.name);
}

/**
 * Reads a checkpoint's SAM configuration from tensor shapes alone (no tensor data is read), and names the variant
 * when it is one of SAM_VARIANTS. Throws NOT_SAM_WEIGHTS when a tensor it needs is missing.
 */
export function inferSamConfig(stateDict: StateDict): SamConfig {
  const label = path.basename(stateDict.source);
  const names = stateDict.names();
  if (!stateDict.has('image_encoder.patch_embed.proj.weight')) {
    throw new MaskLoopError(
      'NOT_SAM_WEIGHTS',
      `${label} does not hold SAM weights (it has no image_encoder.patch_embed.proj.weight; its tensors are named like ${names.slice(0, 3).join(', ')}); choose ${OFFICIAL_CHECKPOINTS}.`,
    );
  }
  const shapeOf = (name: string): readonly number[] => {
    if (!stateDict.has(name)) {
      throw new MaskLoopError('NOT_SAM_WEIGHTS', `${label} is not a complete SAM checkpoint: it has no ${name}; choose ${OFFICIAL_CHECKPOINTS}.`);
    }
    return stateDict.info(name).shape;
  };

  const [embedDim, , patchSize] = shapeOf('image_encoder.patch_embed.proj.weight');
  // pos_embed: [1, grid, grid, embedDim]
  const grid = shapeOf('image_encoder.pos_embed')[1];
  const depth = indexedCount(names, /^image_encoder\.blocks\.(\d+)\./);
  if (!stateDict.has('image_encoder.blocks.0.attn.rel_pos_h')) {
    throw new MaskLoopError(
      'NOT_SAM_WEIGHTS',
      `${label} has no image_encoder.blocks.0.attn.rel_pos_h, so its attention heads cannot be inferred; SAM checkpoints always have relative positions: choose ${OFFICIAL_CHECKPOINTS}.`,
    );
  }
  // rel_pos_h: [2 * attention size - 1, headDim], attention size = grid for global blocks, the window otherwise.
  const relPosRows = Array.from({ length: depth }, (_, block) => shapeOf(`image_encoder.blocks.${block}.attn.rel_pos_h`)[0]);
  const headDim = shapeOf('image_encoder.blocks.0.attn.rel_pos_h')[1];
  const globalAttnIndexes = relPosRows.flatMap((rows, block) => (rows === 2 * grid - 1 ? [block] : []));
  const windowRows = new Set(relPosRows.filter((rows) => rows !== 2 * grid - 1));
  if (windowRows.size > 1) {
    throw new MaskLoopError('NOT_SAM_WEIGHTS', `${label} mixes attention windows of several sizes, which SAM never does; choose ${OFFICIAL_CHECKPOINTS}.`);
  }
  const [windowRowCount] = windowRows;
  const inferred: SamConfig = {
    variant: 'custom',
    encoder: {
      embedDim,
      depth,
      numHeads: embedDim / headDim,
      globalAttnIndexes,
      windowSize: windowRowCount === undefined ? 0 : (windowRowCount + 1) / 2,
      patchSize,
      imgSize: grid * patchSize,
      outChans: shapeOf('image_encoder.neck.0.weight')[0],
      mlpRatio: shapeOf('image_encoder.blocks.0.mlp.lin1.weight')[0] / embedDim,
      useRelPos: true,
    },
    promptEmbedDim: shapeOf('prompt_encoder.no_mask_embed.weight')[1],
    imageEmbeddingSize: grid,
    // mask_downscaling.3: Conv2d(maskInChans / 4 -> maskInChans), weight [maskInChans, maskInChans / 4, 2, 2]
    maskInChans: shapeOf('prompt_encoder.mask_downscaling.3.weight')[0],
    decoder: {
      transformerDepth: indexedCount(names, /^mask_decoder\.transformer\.layers\.(\d+)\./),
      mlpDim: shapeOf('mask_decoder.transformer.layers.0.mlp.lin1.weight')[0],
      numHeads: SAM_DECODER_HEADS,
      numMultimaskOutputs: shapeOf('mask_decoder.mask_tokens.weight')[0] - 1,
      iouHeadDepth: indexedCount(names, /^mask_decoder\.iou_prediction_head\.layers\.(\d+)\./),
      iouHeadHiddenDim: shapeOf('mask_decoder.iou_prediction_head.layers.0.weight')[0],
    },
  };
  const variant = (Object.keys(SAM_VARIANTS) as SamVariant[]).find((name) =>
    isDeepStrictEqual({ ...SAM_VARIANTS[name], variant: 'custom' }, inferred),
  );
  return variant ? SAM_VARIANTS[variant] : inferred;
}

/**
 * Infers the configuration and checks that every tensor it implies is present with its shape; returns the configuration.
 * Throws NOT_SAM_WEIGHTS naming the missing tensors (the first ten and a count) and the wrongly shaped ones.
 */
export function assertSamWeights(stateDict: StateDict): SamConfig {
  let config: SamConfig;
  try {
    config = inferSamConfig(stateDict);
  } catch (error) {
    if (!(error instanceof MaskLoopError) || error.code !== 'NOT_SAM_WEIGHTS') throw error;
    // Name what is missing against the variant the file comes closest to.
    const closest = Object.values(SAM_VARIANTS).reduce((best, candidate) =>
      missingTensors(stateDict, candidate).length < missingTensors(stateDict, best).length ? candidate : best,
    );
    const missing = missingTensors(stateDict, closest);
    if (missing.length === 0) throw error;
    const found = stateDict.names().slice(0, 3).join(', ');
    throw new MaskLoopError(
      'NOT_SAM_WEIGHTS',
      `${path.basename(stateDict.source)} does not hold SAM weights (its tensors are named like ${found}): ${describeMissing(missing)}; choose ${OFFICIAL_CHECKPOINTS}.`,
      { cause: error },
    );
  }
  const missing = missingTensors(stateDict, config);
  const misshapen = samTensorSpecs(config).flatMap((spec) => {
    if (!stateDict.has(spec.name)) return [];
    const shape = stateDict.info(spec.name).shape;
    return isDeepStrictEqual([...shape], [...spec.shape]) ? [] : [`${spec.name} is [${shape.join(', ')}] instead of [${spec.shape.join(', ')}]`];
  });
  if (missing.length > 0 || misshapen.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [describeMissing(missing)] : []),
      ...(misshapen.length > 0 ? [`${misshapen.length} have the wrong shape (${listSome(misshapen)})`] : []),
    ];
    throw new MaskLoopError(
      'NOT_SAM_WEIGHTS',
      `${path.basename(stateDict.source)} is not a complete SAM checkpoint: ${problems.join('; ')}; choose ${OFFICIAL_CHECKPOINTS} or a checkpoint fine-tuned from one.`,
    );
  }
  return config;
}

function missingTensors(stateDict: StateDict, config: SamConfig): string[] {
  return samStateDictKeys(config).filter((name) => !stateDict.has(name));
}

function describeMissing(missing: readonly string[]): string {
  return `${missing.length} of SAM's tensors are missing (${listSome(missing)})`;
}

function listSome(items: readonly string[], shown = 10): string {
  const rest = items.length - shown;
  return items.slice(0, shown).join(', ') + (rest > 0 ? ` and ${rest} more` : '');
}

/** 1 + the largest index N among names matching `pattern` (whose group 1 is N); 0 when none match. */
function indexedCount(names: readonly string[], pattern: RegExp): number {
  return names.reduce((count, name) => {
    const match = pattern.exec(name);
    return match ? Math.max(count, Number(match[1]) + 1) : count;
  }, 0);
}
