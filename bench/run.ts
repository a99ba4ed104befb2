// `maskloop bench` / `npm run bench`: every benchmark in one JSON object, each part isolated from the others' failures.
import { round } from './stats.js';

type BenchPart = { name: string; run: () => Promise<object> };

const parts: BenchPart[] = [
  { name: 'sam', run: async () => (await import('./sam-bench.js')).benchSam() },
  { name: 'store', run: async () => (await import('./store-bench.js')).benchStore() },
  { name: 'coco', run: async () => (await import('./coco-bench.js')).benchCoco() },
  { name: 'train', run: async () => (await import('./train-bench.js')).benchTrain() },
  { name: 'api', run: async () => (await import('./api-bench.js')).benchApi() },
  { name: 'render', run: async () => (await import('./render-bench.js')).benchRender() },
];

export async function runBenchmarks(only?: readonly string[], log: (line: string) => void = () => {}): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };
  const failures: Record<string, string> = {};
  for (const part of parts.filter((p) => !only || only.includes(p.name))) {
    log(`bench: ${part.name}...`);
    try {
      Object.assign(result, await part.run());
    } catch (error) {
      failures[part.name] = (error as Error).message;
    }
  }
  result.peak_rss_mb = round(process.resourceUsage().maxRSS / 1024, 0);
  if (Object.keys(failures).length > 0) result.failures = failures;
  return result;
}
