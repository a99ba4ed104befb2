// The prompt encoder + mask decoder + mask post-processing as one ONNX graph: segment_anything/utils/onnx.py's SamOnnxModel.
import type { StateDict } from './checkpoint/state-dict.js';
import { encodePrompts } from './prompt-encoder.js';
import { predictMasks, type MaskSelection } from './mask-decoder.js';
import { GraphBuilder } from './onnx/graph-builder.js';
import type { SamConfig } from './variants.js';

const INT64 = 7; // onnx.TensorProto.DataType.INT64, for Cast's `to`

/**
 * Which masks the graph returns. 'all' is the official export format (return_single_mask=False): index 0 the
 * single-mask answer, 1..3 the multimask candidates. 'single' (index 0 only) and 'multi' (1..3 only) return the
 * same inputs' answer for one of SamPredictor's two choices and skip the work for the masks it drops.
 */
export type SamDecoderOutputs = 'all' | 'single' | 'multi';

export interface SamDecoderOptions {
  /** The official export's flag; MaskLoop never picks the mask in the graph, so only false is accepted. */
  returnSingleMask?: false;
  outputs?: SamDecoderOutputs;
}

/**
 * Builds the decoder graph with its weights inline (a single self-contained .onnx).
 * in:  image_embeddings float32[1,256,64,64], point_coords float32[1,N,2] (1024 frame), point_labels float32[1,N],
 *      mask_input float32[1,1,256,256], has_mask_input float32[1], orig_im_size float32[2] (h, w)
 * out: masks float32[1,K,h,w] (logits at the original size), iou_predictions float32[1,K],
 *      low_res_masks float32[1,K,256,256]; K = 4 ('all'), 1 ('single') or 3 ('multi')
 */
export function buildSamDecoder(sd: StateDict, config: SamConfig, options: SamDecoderOptions = {}): Uint8Array {
  const outputs = options.outputs ?? 'all';
  const imgSize = config.encoder.imgSize;
  const gridSize = [config.imageEmbeddingSize, config.imageEmbeddingSize] as const;
  const [gridHeight, gridWidth] = gridSize;
  const channels = config.promptEmbedDim;
  const lowResHeight = 4 * gridHeight;
  const lowResWidth = 4 * gridWidth;
  const selection = selectedMasks(outputs, config.decoder.numMultimaskOutputs + 1);

  const g = new GraphBuilder({ graphName: `sam_decoder_${outputs}` });
  const imageEmbeddings = g.input('image_embeddings', 'float32', [1, channels, gridHeight, gridWidth]);
  const pointCoords = g.input('point_coords', 'float32', [1, 'num_points', 2]);
  const pointLabels = g.input('point_labels', 'float32', [1, 'num_points']);
  const maskInput = g.input('mask_input', 'float32', [1, 1, lowResHeight, lowResWidth]);
  const hasMaskInput = g.input('has_mask_input', 'float32', [1]);
  const origImSize = g.input('orig_im_size', 'float32', [2]);

  const prompts = encodePrompts(g, sd, { pointCoords, pointLabels, maskInput, hasMaskInput }, { imgSize, gridSize });
  const { masks, iouPredictions } = predictMasks(g, sd, { imageEmbeddings, ...prompts }, { config: config.decoder, gridSize, selection });

  const k = selection.count;
  g.output('masks', maskPostprocessing(g, masks, origImSize, imgSize, k), 'float32', [1, k, 'height', 'width']);
  g.output('iou_predictions', iouPredictions, 'float32', [1, k]);
  g.output('low_res_masks', masks, 'float32', [1, k, lowResHeight, lowResWidth]);
  return g.build();
}

function selectedMasks(outputs: SamDecoderOutputs, maskTokens: number): MaskSelection {
  if (outputs === 'single') return { first: 0, count: 1 };
  if (outputs === 'multi') return { first: 1, count: maskTokens - 1 };
  return { first: 0, count: maskTokens };
}

/**
 * SamOnnxModel.mask_postprocessing: bilinear (half-pixel, no antialias) to imgSize x imgSize, crop to the
 * ResizeLongestSide size computed from orig_im_size, bilinear to orig_im_size.
 * in: masks float32[1,K,256,256], orig_im_size float32[2] (h, w); out: float32[1,K,h,w]
 */
function maskPostprocessing(g: GraphBuilder, masks: string, origImSize: string, imgSize: number, count: number): string {
  const bilinear = { mode: 'linear', coordinate_transformation_mode: 'half_pixel' };
  const padded = g.op('Resize', [masks, '', '', g.ints([1, count, imgSize, imgSize])], bilinear);

  // resize_longest_image_size, with the official graph's operations: floor(size * (1/max(size) * imgSize) + 0.5)
  const scale = g.op('Mul', [g.op('Reciprocal', [g.op('ReduceMax', [origImSize], { keepdims: 0 })]), g.floats([imgSize])]);
  const prepadded = g.op('Cast', [g.op('Floor', [g.op('Add', [g.op('Mul', [scale, origImSize]), g.floats([0.5])])])], { to: INT64 });
  const cropped = g.op('Slice', [padded, g.ints([0, 0]), prepadded, g.ints([2, 3])]);

  const originalSize = g.op('Concat', [g.ints([1, count]), g.op('Cast', [origImSize], { to: INT64 })], { axis: 0 });
  return g.op('Resize', [cropped, '', '', originalSize], bilinear);
}
