// The one error type that crosses module and process boundaries: a message for a person, a code for tests.

export type MaskLoopErrorCode =
  | 'FILE_NOT_FOUND'
  | 'NOT_A_CHECKPOINT'
  | 'TRUNCATED_FILE'
  | 'NOT_SAM_WEIGHTS'
  | 'UNSUPPORTED_TENSOR'
  | 'UNREADABLE_IMAGE'
  | 'PROMPT_OUTSIDE_IMAGE'
  | 'INVALID_PROMPT'
  | 'INVALID_ARGUMENT'
  | 'ONNX_RUNTIME'
  | 'MODEL_MISMATCH'
  | 'PROJECT'
  | 'NOT_FOUND'
  | 'INVALID_COCO'
  | 'TRAINING'
  | 'CANCELLED'
  | 'INVALID_PAYLOAD'
  | 'DOWNLOAD'
  | 'NOT_AVAILABLE';

export class MaskLoopError extends Error {
  readonly code: MaskLoopErrorCode;

  /** `message` is written for the user: what went wrong and what to do about it. */
  constructor(code: MaskLoopErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MaskLoopError';
    this.code = code;
  }
}

export function isMaskLoopError(value: unknown): value is MaskLoopError {
  return value instanceof MaskLoopError;
}
