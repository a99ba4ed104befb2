// `npm test`: type-check main and renderer, make sure the test browser exists, build the renderer, run every test file.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const chromium = process.env.MASKLOOP_CHROMIUM ?? '/usr/bin/chromium';

function run(command, args, options = {}) {
  console.log(`\n> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`maskloop test: "${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [path.relative(root, full)] : [];
  });
}

function ensureChromium() {
  if (fs.existsSync(chromium)) return;
  if (process.getuid?.() !== 0) {
    console.error(`maskloop test: the browser tests need Chromium at ${chromium}: install it (sudo apt-get install -y chromium) or set MASKLOOP_CHROMIUM.`);
    process.exit(1);
  }
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const files = testFiles(path.join(root, 'test')).sort();
run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
run('npx', ['svelte-check', '--workspace', 'src-renderer', '--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'human']);
if (files.some((f) => f.startsWith(path.join('test', 'e2e')))) {
  ensureChromium();
  run('npx', ['vite', 'build', '--logLevel', 'warn']);
}
run(process.execPath, ['--import', 'tsx', '--test', ...files]);
