// Runs the real `maskloop` CLI in a child process, as a user would.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './sam-reference.js';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin/maskloop.js'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
