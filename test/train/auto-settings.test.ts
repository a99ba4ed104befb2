import assert from 'node:assert/strict';
import { test } from 'node:test';
import { automaticSettings, DEFAULT_LOSS } from '../../src-main/train/auto-settings.js';

test('small training sets train the heads only, with batch 1 and more passes; large ones the whole decoder', () => {
  const tiny = automaticSettings(6);
  assert.deepEqual([tiny.trainable, tiny.batchSize, tiny.loss], ['heads', 1, DEFAULT_LOSS]);
  assert.equal(tiny.steps, tiny.epochs * 6);
  const large = automaticSettings(400);
  assert.deepEqual([large.trainable, large.batchSize], ['decoder', 4]);
  assert.ok(large.epochs < tiny.epochs);
  assert.ok(large.learningRate < tiny.learningRate, 'the whole decoder moves with a smaller step than the heads alone');
  assert.equal(large.steps, Math.ceil((large.epochs * 400) / 4));
});

test('every choice can be overridden, and steps win over epochs', () => {
  const settings = automaticSettings(100, { epochs: 3, headsOnly: true, loss: 'sam', batchSize: 2, learningRate: 5e-4, seed: 9 });
  assert.deepEqual(
    [settings.epochs, settings.steps, settings.trainable, settings.loss, settings.batchSize, settings.learningRate, settings.seed],
    [3, 150, 'heads', 'sam', 2, 5e-4, 9],
  );
  const bySteps = automaticSettings(100, { steps: 30, batchSize: 2 });
  assert.deepEqual([bySteps.steps, bySteps.epochs], [30, 1]);
  assert.equal(automaticSettings(10, { headsOnly: false }).trainable, 'decoder');
});
