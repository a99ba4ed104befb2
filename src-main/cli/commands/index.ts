// The list of CLI commands, in the order `maskloop help` shows them.
import type { CliCommand } from '../command.js';
import { embedCommand } from './embed.js';
import { predictCommand } from './predict.js';
import { benchCommand } from './bench.js';

export const commands: readonly CliCommand[] = [embedCommand, predictCommand, benchCommand];
