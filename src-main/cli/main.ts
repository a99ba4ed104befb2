// The `maskloop` CLI: dispatches to one command module per verb and turns errors into one clear line.
import { isMaskLoopError } from '../errors.js';
import type { CliCommand } from './command.js';
import { commands } from './commands/index.js';

function printHelp(): void {
  const lines = commands.map((c) => `  maskloop ${c.name} ${c.usage}\n      ${c.summary}`);
  console.log(`MaskLoop: label with Segment Anything, fine-tune its decoder on your corrections.\n\nCommands:\n${lines.join('\n')}`);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    printHelp();
    return name === undefined ? 1 : 0;
  }
  const command: CliCommand | undefined = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`maskloop: unknown command "${name}"; run "maskloop help" for the list.`);
    return 2;
  }
  return command.run(args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (isMaskLoopError(error)) {
    console.error(`maskloop: ${error.message}`);
  } else {
    console.error(`maskloop: unexpected error: ${(error as Error).message ?? String(error)}`);
    if (process.env.MASKLOOP_DEBUG) console.error((error as Error).stack);
  }
  process.exitCode = 1;
}
