// The command-line entries as a user runs them: `npm run web -- PROJECT` and `npm start` without Electron.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createApiClient } from '../../src-main/api/client.js';
import { createWebSocketTransport } from '../../src-main/api/websocket-transport.js';
import { Project } from '../../src-main/store/project.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-entries-'));
const children: ChildProcess[] = [];

after(() => {
  for (const child of children) child.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs a TypeScript entry and resolves with the first line it prints that contains a URL. */
function startEntry(entry: string, args: string[]): Promise<{ line: string; url: URL }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, MASKLOOP_DATA_DIR: path.join(dir, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.test(l));
      if (line) resolve({ line, url: new URL(/http:\S+/.exec(line)![0]) });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${output}`)));
  });
}

test('npm run web -- PROJECT prints a tokened URL whose WebSocket serves that project', async () => {
  const projectFile = path.join(dir, 'web.maskloop');
  Project.create(projectFile, 'scans of March').close();
  const { url } = await startEntry('src-main/web/main.ts', [projectFile]);
  const token = url.searchParams.get('token')!;
  const socket = new WebSocket(`ws://${url.host}/ws?token=${token}`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const client = createApiClient(createWebSocketTransport(socket, { imageBase: url.origin, token }));
  try {
    assert.equal((await client.projects.info())?.name, 'scans of March');
    assert.equal((await client.app.info()).host, 'browser');
  } finally {
    socket.close();
  }
});

test('npm start without the Electron binary says so in one line and starts browser mode', async () => {
  const { line, url } = await startEntry('src-main/start.ts', []);
  assert.match(line, /^Electron is not installed here \(offline install\); starting browser mode at http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  const page = await fetch(url);
  assert.equal(page.status, 200);
});
