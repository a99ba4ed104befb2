import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatestOnly } from '../../../src-renderer/editing/latest-only.js';

/** A request whose answer the test releases by hand. */
function manualRequests() {
  const started: { input: number; resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  const run = (input: number) => new Promise<string>((resolve, reject) => started.push({ input, resolve, reject }));
  return { started, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('requests made while one is in flight collapse to the newest, and only its answer is delivered', async () => {
  const { started, run } = manualRequests();
  const delivered: string[] = [];
  const coalescer = new LatestOnly<number, string>({ run, deliver: (output) => delivered.push(output), fail: assert.fail });
  coalescer.submit(1);
  coalescer.submit(2);
  coalescer.submit(3);
  assert.deepEqual(started.map((request) => request.input), [1]);
  started[0].resolve('answer 1');
  await tick();
  assert.deepEqual(delivered, [], 'the answer to 1 is stale: 3 was asked since');
  assert.deepEqual(started.map((request) => request.input), [1, 3], '2 was never sent');
  started[1].resolve('answer 3');
  await tick();
  assert.deepEqual(delivered, ['answer 3']);
  assert.equal(coalescer.busy, false);
});

test('a single request is delivered with its input', async () => {
  const { started, run } = manualRequests();
  const delivered: [string, number][] = [];
  const coalescer = new LatestOnly<number, string>({ run, deliver: (output, input) => delivered.push([output, input]), fail: assert.fail });
  coalescer.submit(7);
  started[0].resolve('seven');
  await tick();
  assert.deepEqual(delivered, [['seven', 7]]);
});

test('after reset the answer in flight is ignored, failures included', async () => {
  const { started, run } = manualRequests();
  const failures: unknown[] = [];
  const coalescer = new LatestOnly<number, string>({ run, deliver: assert.fail, fail: (error) => failures.push(error) });
  coalescer.submit(1);
  coalescer.reset();
  started[0].reject(new Error('late'));
  await tick();
  assert.deepEqual(failures, []);
});

test('the failure of the newest request is reported', async () => {
  const { started, run } = manualRequests();
  const failures: string[] = [];
  const coalescer = new LatestOnly<number, string>({ run, deliver: assert.fail, fail: (error) => failures.push((error as Error).message) });
  coalescer.submit(1);
  started[0].reject(new Error('no embedding'));
  await tick();
  assert.deepEqual(failures, ['no embedding']);
});
