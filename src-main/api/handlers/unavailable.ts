// Requests whose part of the app is not built yet answer NOT_AVAILABLE, never a fake result.
import { MaskLoopError } from '../../errors.js';

export function notAvailable(part: string): MaskLoopError {
  return new MaskLoopError('NOT_AVAILABLE', `This needs ${part}, which is not available in this build of MaskLoop yet.`);
}
