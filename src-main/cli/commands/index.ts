// The list of CLI commands, in the order `maskloop help` shows them.
import type { CliCommand } from '../command.js';
import { benchCommand } from './bench.js';
import { cocoCommand } from './coco.js';
import { embedAllCommand } from './embed-all.js';
import { embedCommand } from './embed.js';
import { exportDecoderCommand } from './export-decoder.js';
import { modelsCommand } from './models.js';
import { predictCommand } from './predict.js';
import { imagesCommand, projectCommand } from './project.js';
import { trainCommand } from './train.js';

export const commands: readonly CliCommand[] = [
  embedCommand,
  predictCommand,
  projectCommand,
  imagesCommand,
  embedAllCommand,
  cocoCommand,
  trainCommand,
  modelsCommand,
  exportDecoderCommand,
  benchCommand,
];
