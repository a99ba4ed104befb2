// Request groups whose part of the app is not built yet: every method answers NOT_AVAILABLE, never a fake result.
import { MaskLoopError } from '../../errors.js';
import { contract, type GroupName, type MaskLoopApi } from '../contract.js';

export function notAvailable(part: string): MaskLoopError {
  return new MaskLoopError('NOT_AVAILABLE', `This needs ${part}, which is not available in this build of MaskLoop yet.`);
}

export function unavailableGroup<G extends GroupName>(group: G, part: string): MaskLoopApi[G] {
  const reject = async () => {
    throw notAvailable(part);
  };
  // Every method of the group has the same body, which TypeScript cannot see through fromEntries.
  return Object.fromEntries(Object.keys(contract[group]).map((name) => [name, reject])) as unknown as MaskLoopApi[G];
}
