// training.*: the fine-tuning panel: start (by hand), cancel, status, automatic mode every N corrections.
import type { MaskLoopApi } from '../contract.js';
import type { ServiceContext } from '../service-context.js';

export function trainingHandlers(context: ServiceContext): MaskLoopApi['training'] {
  return {
    async status() {
      return context.training.status();
    },
    async start({ epochs, headsOnly }) {
      return context.training.start({ epochs, headsOnly });
    },
    async cancel() {
      return context.training.cancel();
    },
    async setAutomatic({ enabled, everyN }) {
      return context.training.setAutomatic(enabled, everyN);
    },
  };
}
