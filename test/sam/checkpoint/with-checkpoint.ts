// Opens a checkpoint for the length of one callback and closes it afterwards, in the checkpoint reader tests.
import { openCheckpoint } from '../../../src-main/sam/checkpoint/open-checkpoint.js';
import type { StateDict } from '../../../src-main/sam/checkpoint/state-dict.js';

export async function withCheckpoint<T>(filePath: string, use: (stateDict: StateDict) => T): Promise<T> {
  const stateDict = await openCheckpoint(filePath);
  try {
    return use(stateDict);
  } finally {
    stateDict.close();
  }
}
