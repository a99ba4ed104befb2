// The resumable download against a real HTTP server on 127.0.0.1: cuts, Range resume, checksum, cancel.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { downloadFile, officialCheckpoint, type DownloadTarget } from '../../src-main/download/checkpoint-download.js';

const fixture = crypto.randomBytes(3 * 1024 * 1024 + 17);
const fixtureSha256 = crypto.createHash('sha256').update(fixture).digest('hex');

interface ServerBehaviour {
  /** Close the connection after this many bytes of the n-th request (0-based); undefined: serve fully. */
  cutAfter?: (requestIndex: number) => number | undefined;
  /** Delay between chunks, to give a cancel time to land. */
  chunkDelayMs?: number;
}

let server: http.Server;
let baseUrl: string;
let behaviour: ServerBehaviour = {};
let ranges: (string | undefined)[] = [];
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-download-'));
  server = http.createServer(async (request, response) => {
    const index = ranges.length;
    ranges.push(request.headers.range);
    const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    response.writeHead(match ? 206 : 200, {
      'Content-Length': String(fixture.length - start),
      ...(match ? { 'Content-Range': `bytes ${start}-${fixture.length - 1}/${fixture.length}` } : {}),
    });
    const cut = behaviour.cutAfter?.(index);
    const body = fixture.subarray(start, cut === undefined ? undefined : start + cut);
    for (let offset = 0; offset < body.length; offset += 64 * 1024) {
      if (response.destroyed) return;
      // Waiting for each write to flush makes a cut land after the bytes before it reached the client.
      await new Promise((resolve) => response.write(body.subarray(offset, offset + 64 * 1024), resolve));
      if (behaviour.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.chunkDelayMs));
    }
    if (cut === undefined) response.end();
    else response.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function reset(next: ServerBehaviour): void {
  behaviour = next;
  ranges = [];
}

const target = (sha256 = fixtureSha256): DownloadTarget => ({ url: `${baseUrl}/sam_fixture.pth`, size: fixture.length, sha256 });

test('downloads the whole file, verifies it and reports growing progress ending at the total', async () => {
  reset({});
  const destination = path.join(tmp, 'whole.pth');
  const seen: number[] = [];
  await downloadFile(target(), destination, { progressIntervalMs: 0, onProgress: (received, total) => {
    assert.equal(total, fixture.length);
    seen.push(received);
  } });
  assert.ok(fixture.equals(fs.readFileSync(destination)));
  assert.equal(fs.existsSync(`${destination}.part`), false);
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  assert.equal(seen.at(-1), fixture.length);
  assert.deepEqual(ranges, [undefined]);
});

test('resumes with an HTTP Range request after the connection is cut', async () => {
  const cutAt = 1024 * 1024 + 5;
  reset({ cutAfter: (index) => (index === 0 ? cutAt : undefined) });
  const destination = path.join(tmp, 'resumed.pth');
  await downloadFile(target(), destination, { retryDelayMs: 10 });
  assert.ok(fixture.equals(fs.readFileSync(destination)));
  assert.equal(ranges.length, 2);
  assert.equal(ranges[0], undefined);
  assert.match(String(ranges[1]), /^bytes=\d+-$/);
  assert.ok(Number(/\d+/.exec(String(ranges[1]))?.[0]) > 0, 'the second request starts after the bytes already received');
});

test('refuses a file whose sha256 is wrong and removes the partial file', async () => {
  reset({});
  const destination = path.join(tmp, 'corrupt.pth');
  await assert.rejects(downloadFile(target('0'.repeat(64)), destination), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'DOWNLOAD');
    assert.match(error.message, /corrupt.*sha256/);
    return true;
  });
  assert.equal(fs.existsSync(destination), false);
  assert.equal(fs.existsSync(`${destination}.part`), false);
});

test('gives up with a clear error when the connection keeps failing', async () => {
  reset({ cutAfter: () => 1000 });
  const destination = path.join(tmp, 'flaky.pth');
  await assert.rejects(downloadFile(target(), destination, { retries: 2, retryDelayMs: 1 }), /Could not download .*resumes where it stopped/);
  assert.equal(ranges.length, 3);
});

test('cancel stops the download, keeps the partial file, and the next call resumes it', async () => {
  reset({ chunkDelayMs: 5 });
  const destination = path.join(tmp, 'cancelled.pth');
  const controller = new AbortController();
  const download = downloadFile(target(), destination, {
    signal: controller.signal,
    progressIntervalMs: 0,
    onProgress: (received) => {
      if (received > 512 * 1024) controller.abort();
    },
  });
  await assert.rejects(download, (error: Error & { code?: string }) => error.code === 'CANCELLED');
  const kept = fs.statSync(`${destination}.part`).size;
  assert.ok(kept > 0 && kept < fixture.length);

  reset({});
  await downloadFile(target(), destination);
  assert.ok(fixture.equals(fs.readFileSync(destination)));
  assert.equal(ranges[0], `bytes=${kept}-`);
});

test('knows the official checkpoints by size and sha256, on Meta’s server or a mirror', () => {
  const vitB = officialCheckpoint('vit_b');
  assert.equal(vitB.url, 'https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth');
  assert.equal(vitB.size, 375_042_383);
  assert.match(vitB.sha256, /^[0-9a-f]{64}$/);
  assert.equal(officialCheckpoint('vit_h', 'http://mirror.local/sam/').url, 'http://mirror.local/sam/sam_vit_h_4b8939.pth');
});
