// electron.config.ts passes electron-builder's own schema validation, without Electron installed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DebugLogger } from 'builder-util';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import config from '../../electron.config.js';

test('electron.config.ts is valid for electron-builder', async () => {
  await validateConfiguration(config, new DebugLogger(false));
});

test('electron-builder reads electron.config.ts the way `electron-builder --config electron.config.ts` does', async () => {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const loaded = await getConfig(repoRoot, 'electron.config.ts', null);
  assert.equal(loaded.productName, 'MaskLoop');
  await validateConfiguration(loaded, new DebugLogger(false));
});

test('electron-builder rejects an unknown option, so the validation above can fail', async () => {
  await assert.rejects(validateConfiguration({ ...config, notAnOption: true } as typeof config, new DebugLogger(false)), /notAnOption/);
});

test('every native module is unpacked from the asar and the Electron version is pinned', () => {
  for (const name of ['better-sqlite3', 'onnxruntime-node', 'sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
    assert.ok(config.asarUnpack?.includes(`node_modules/${name}/**/*`), name);
  }
  const packageJson = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(config.electronVersion, packageJson.optionalDependencies.electron);
  assert.deepEqual(config.linux?.target, ['AppImage', 'deb']);
});
