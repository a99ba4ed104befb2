// scripts/postinstall.js never fails an install and says, per optional part, what MaskLoop will use.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

test('postinstall exits 0 and prints one line for Electron, TensorFlow.js native and the ONNX Runtime CUDA provider', () => {
  const result = spawnSync(process.execPath, ['scripts/postinstall.js'], { cwd: fileURLToPath(new URL('../../', import.meta.url)), encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^maskloop: Electron: .* -> "npm start" opens (the desktop app|browser mode)/);
  assert.match(lines[1], /^maskloop: TensorFlow\.js native .* -> fine-tuning uses /);
  assert.match(lines[2], /^maskloop: ONNX Runtime CUDA provider: .* -> SAM runs on the (GPU|CPU)/);
});
