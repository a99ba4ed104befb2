// app.*: versions, engines in use, and native dialogs where the host has them.
import { createRequire } from 'node:module';
import packageJson from '../../../package.json' with { type: 'json' };
import type { MaskLoopApi } from '../contract.js';
import type { ServiceContext } from '../service-context.js';
import { notAvailable } from './unavailable.js';

// Resolved from node_modules at run time, so it names the ONNX Runtime actually installed.
const onnxruntimeVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;

export function appHandlers(context: ServiceContext): MaskLoopApi['app'] {
  const { host } = context.options;
  return {
    async info() {
      return {
        version: packageJson.version,
        versions: {
          node: process.versions.node,
          electron: host.versions?.electron ?? null,
          chrome: host.versions?.chrome ?? null,
          onnxruntime: onnxruntimeVersion,
        },
        host: host.kind,
        nativeDialogs: host.chooseFiles !== undefined,
        provider: context.sam.loaded?.provider ?? null,
        trainingEngine: context.training.engineName,
        hasModel: context.settings.activeCheckpointId !== null,
      };
    },
    async chooseFiles({ purpose }) {
      if (!host.chooseFiles) throw notAvailable('a native file dialog (desktop app only; type the path instead)');
      return { paths: await host.chooseFiles(purpose) };
    },
  };
}
