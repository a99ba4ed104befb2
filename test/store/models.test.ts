import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempProject } from './temp-project.js';

test('decoders are stored inline with parent and metrics; one model per kind is active; rollback reactivates an older one', () => {
  const { project } = tempProject();
  const checkpoint = project.models.addCheckpoint({ name: 'sam_vit_b_01ec64', path: '/models/sam_vit_b_01ec64.pth' });
  const first = project.models.addDecoder({ name: 'decoder v1', weights: Uint8Array.of(1, 2, 3), parentId: checkpoint.id, metrics: { heldOutIoU: 0.61 } });
  const second = project.models.addDecoder({ name: 'decoder v2', weights: Uint8Array.of(4, 5), parentId: first.id, metrics: { heldOutIoU: 0.68 } });

  assert.deepEqual(
    [second.kind, second.path, second.hasInlineWeights, second.parentId, second.metrics, second.active],
    ['decoder', null, true, first.id, { heldOutIoU: 0.68 }, false],
  );
  assert.deepEqual([...project.models.weights(second.id)], [4, 5]);
  assert.throws(() => project.models.weights(checkpoint.id), { code: 'INVALID_ARGUMENT' });

  project.models.activate(checkpoint.id);
  project.models.activate(second.id);
  project.models.activate(first.id);
  assert.equal(project.models.active('decoder')?.id, first.id);
  assert.equal(project.models.active('checkpoint')?.id, checkpoint.id);
  assert.deepEqual(project.models.list('decoder').map((m) => [m.name, m.active]), [['decoder v1', true], ['decoder v2', false]]);
  assert.deepEqual(project.models.lineage(second.id).map((m) => m.id), [second.id, first.id, checkpoint.id]);
  project.models.deactivate('decoder');
  assert.equal(project.models.active('decoder'), undefined);
  assert.throws(() => project.models.addDecoder({ name: 'orphan', weights: Uint8Array.of(1), parentId: 999 }), { code: 'NOT_FOUND' });
});

test('a training run records its outcome once; runs left running by a dead process are marked failed', () => {
  const { project } = tempProject();
  const run = project.trainingRuns.start({ settings: { steps: 200, loss: 'bce+dice' }, baseModelId: null, historyCursor: 0 });
  assert.deepEqual([run.status, run.settings, run.finishedAt], ['running', { steps: 200, loss: 'bce+dice' }, null]);
  const decoder = project.models.addDecoder({ name: 'v1', weights: Uint8Array.of(9), parentId: null });
  const done = project.trainingRuns.finish(run.id, { status: 'succeeded', metrics: { heldOutIoU: 0.5, losses: [0.9, 0.4] }, resultModelId: decoder.id });
  assert.deepEqual([done.status, done.metrics, done.resultModelId, done.error], ['succeeded', { heldOutIoU: 0.5, losses: [0.9, 0.4] }, decoder.id, null]);
  assert.throws(() => project.trainingRuns.finish(run.id, { status: 'cancelled' }), { code: 'TRAINING', message: /is not running \(it is succeeded\)/ });

  const interrupted = project.trainingRuns.start({ settings: {}, baseModelId: decoder.id, historyCursor: 0 });
  assert.equal(project.trainingRuns.failInterrupted(), 1);
  assert.deepEqual(
    [project.trainingRuns.require(interrupted.id).status, project.trainingRuns.require(interrupted.id).error],
    ['failed', 'MaskLoop stopped while this run was training; start it again.'],
  );
  assert.deepEqual(project.trainingRuns.listRecent().map((r) => r.id), [interrupted.id, run.id]);
  assert.equal(project.trainingRuns.latestSucceeded()?.id, run.id);
});
