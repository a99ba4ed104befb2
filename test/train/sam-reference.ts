// The old name of the fixture checkpoint, kept only for learning.test.ts and fine-tune.test.ts; new tests import ../support/sam-reference.js.
export { checkpointPath as referenceCheckpoint } from '../support/sam-reference.js';
