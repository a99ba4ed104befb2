// The per-image session over a pure SamModel: holds the image's embedding and the previous low-res logits.
import type { DecodeOptions, ImageEmbedding, Prediction, Prompts, SamModel } from './sam-model.js';

export interface PredictOptions {
  readonly multimask: boolean;
  /** Feed the previous prediction's low-res logits back as mask_input (interactive refinement). */
  readonly usePreviousMask?: boolean;
  /** Which of the previous candidates to feed back; defaults to the one with the highest predicted IoU. */
  readonly previousMaskIndex?: number;
}

export class ImagePredictor {
  private previous: Prediction | undefined;

  constructor(
    readonly model: SamModel,
    readonly embedding: ImageEmbedding,
  ) {}

  async predict(prompts: Prompts, options: PredictOptions): Promise<Prediction> {
    const decodeOptions: DecodeOptions = { multimask: options.multimask, maskInput: this.previousLogits(options) };
    const prediction = await this.model.decode(this.embedding, prompts, decodeOptions);
    this.previous = prediction;
    return prediction;
  }

  /** Forget the previous prediction (new object, or all prompts removed). */
  reset(): void {
    this.previous = undefined;
  }

  private previousLogits(options: PredictOptions): Float32Array | undefined {
    if (!options.usePreviousMask || !this.previous) return undefined;
    const { lowResLogits, iouPredictions } = this.previous;
    const best = iouPredictions.indexOf(Math.max(...iouPredictions));
    return lowResLogits[options.previousMaskIndex ?? best] ?? lowResLogits[best];
  }
}
