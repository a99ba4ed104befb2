// training.*: the fine-tuning panel's state; starting a fine-tune waits for the trainer (src-main/train/).
import type { MaskLoopApi, TrainingStatus } from '../contract.js';
import type { ServiceContext } from '../service-context.js';
import { notAvailable } from './unavailable.js';

const DEFAULT_EVERY_N = 25;

export function trainingHandlers(context: ServiceContext): MaskLoopApi['training'] {
  const trainerMissing = async (): Promise<never> => {
    throw notAvailable('the fine-tuning trainer');
  };
  return {
    async status(): Promise<TrainingStatus> {
      return {
        state: 'idle',
        engine: null,
        correctionsSinceLastFineTune: context.requireProject().correctionsSinceLastFineTune(),
        automatic: { enabled: false, everyN: DEFAULT_EVERY_N },
        progress: null,
      };
    },
    start: trainerMissing,
    cancel: trainerMissing,
    setAutomatic: trainerMissing,
  };
}
