// The read-only view of a checkpoint's tensors that every SAM builder consumes, whatever the file format.
import { MaskLoopError } from '../../errors.js';

export type StoredDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface TensorInfo {
  readonly name: string;
  readonly dtype: StoredDType;
  readonly shape: readonly number[];
}

/**
 * Tensors are read from disk one at a time, on demand, and converted to float32, so that building
 * graphs from a 2.5 GB vit_h file needs memory for one tensor at a time, not for the whole file.
 */
export interface StateDict {
  /** Path of the file the tensors are read from. */
  readonly source: string;
  names(): string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** The tensor's values as float32 in C order; throws MaskLoopError('NOT_SAM_WEIGHTS') for an unknown name. */
  float32(name: string): Float32Array;
  close(): void;
}

/** A StateDict held in memory: random weights for benchmarks, a fine-tuned decoder, tests. */
export class MemoryStateDict implements StateDict {
  readonly source: string;
  private readonly tensors: Map<string, { shape: readonly number[]; data: Float32Array }>;

  constructor(source: string, tensors: Map<string, { shape: readonly number[]; data: Float32Array }>) {
    this.source = source;
    this.tensors = tensors;
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    return { name, dtype: 'float32', shape: this.entry(name).shape };
  }

  float32(name: string): Float32Array {
    return this.entry(name).data;
  }

  close(): void {}

  private entry(name: string): { shape: readonly number[]; data: Float32Array } {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new MaskLoopError('NOT_SAM_WEIGHTS', `The weights have no tensor named ${name}.`);
    return tensor;
  }
}
