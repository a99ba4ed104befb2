// projects.*: create, open and close the project file; the recent list lives in the app settings.
import fs from 'node:fs';
import type { MaskLoopApi } from '../contract.js';
import type { ServiceContext } from '../service-context.js';
import { notAvailable } from './unavailable.js';

export function projectsHandlers(context: ServiceContext): MaskLoopApi['projects'] {
  const storeMissing = async (): Promise<never> => {
    throw notAvailable('the project store');
  };
  return {
    create: storeMissing,
    open: storeMissing,
    close: storeMissing,
    async info() {
      return null;
    },
    async recent() {
      return context.settings.recentProjects.map((recent) => ({ ...recent, exists: fs.existsSync(recent.path) }));
    },
  };
}
