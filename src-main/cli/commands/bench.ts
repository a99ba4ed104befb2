// `maskloop bench`: runs the benchmarks and prints their figures (one JSON object with --json).
import { runBenchmarks } from '../../../bench/run.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'Measure load, encoder, decoder, store, COCO export, training step and rendering speed.',
  usage: '[--json] [--only PART]...',
  async run(args) {
    const { values } = parseCommandArgs('bench', args, {
      json: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
    });
    const result = await runBenchmarks(values.only, (line) => console.error(line));
    console.log(values.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
    return result.failures ? 1 : 0;
  },
};
