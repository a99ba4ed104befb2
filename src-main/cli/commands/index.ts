// The list of CLI commands, in the order `maskloop help` shows them.
import type { CliCommand } from '../command.js';

export const commands: readonly CliCommand[] = [];
