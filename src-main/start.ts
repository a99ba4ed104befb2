// `npm start`: the desktop app where the Electron binary is installed, else browser mode with one line saying why.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDesktop } from './desktop-build.js';
import { startWebServer } from './web/server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Electron binary's path, or undefined where the package or its downloaded binary is missing. */
function electronBinary(): string | undefined {
  try {
    // The electron package exports the binary's path and throws when its download never happened.
    const binary = createRequire(import.meta.url)('electron') as unknown;
    return typeof binary === 'string' && fs.existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the renderer once when its Vite project exists but its build does not. */
async function ensureRendererBuilt(): Promise<void> {
  const hasViteConfig = fs.readdirSync(repoRoot).some((name) => /^vite\.config\.[cm]?[jt]s$/.test(name));
  if (!hasViteConfig || fs.existsSync(path.join(repoRoot, 'dist-renderer', 'index.html'))) return;
  console.log('maskloop: building the renderer (first start)...');
  try {
    const { build } = await import('vite');
    await build({ root: repoRoot, logLevel: 'warn' });
  } catch (error) {
    console.error(`maskloop: the renderer did not build (${(error as Error).message}); the app shows a placeholder page.`);
  }
}

async function main(args: string[]): Promise<void> {
  await ensureRendererBuilt();
  const binary = electronBinary();
  if (binary) {
    await buildDesktop({ root: repoRoot });
    const child = spawn(binary, [repoRoot, ...args], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
    return;
  }
  const server = await startWebServer({ projectPath: args.find((arg) => !arg.startsWith('-')) });
  console.log(`Electron is not installed here (offline install); starting browser mode at ${server.url}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`maskloop: ${error.message}`);
  process.exitCode = 1;
});
