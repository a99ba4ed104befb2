// The main thread's side of the training worker: starts it (from source under tsx, or bundled), relays its progress,
// and resolves with its last word once it has exited.
import { Worker } from 'node:worker_threads';
import { MaskLoopError } from '../errors.js';
import type { TrainingJob, WorkerMessage } from './training-job.js';

export type WorkerOutcome = Extract<WorkerMessage, { type: 'finished' } | { type: 'stopped' }>;
/** What the worker reports along the way. */
export type WorkerProgressMessage = Exclude<WorkerMessage, { type: 'finished' } | { type: 'stopped' } | { type: 'failed' }>;

/** A worker that sent its last message gets this long to close the project and exit by itself. */
const WORKER_EXIT_GRACE_MS = 10_000;

/**
 * Runs the job on a training worker; resolves with its final message once the worker has exited (so that its project
 * connection is closed before the result is stored), rejects with its failure.
 */
export function runTrainingWorker(job: TrainingJob, onEvent: (message: WorkerProgressMessage) => void): Promise<WorkerOutcome> {
  return new Promise((resolve, reject) => {
    const worker = startTrainingWorker(job);
    let last: WorkerOutcome | MaskLoopError | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'finished' || message.type === 'stopped') last = message;
      else if (message.type === 'failed') last = new MaskLoopError(message.code, message.message);
      else onEvent(message);
      if (last) graceTimer ??= setTimeout(() => void worker.terminate(), WORKER_EXIT_GRACE_MS);
    });
    worker.on('error', (error) => {
      last ??= workerFailure(error.message);
    });
    worker.on('exit', (code) => {
      clearTimeout(graceTimer);
      const outcome = last ?? workerFailure(`it exited with code ${code}`);
      if (outcome instanceof MaskLoopError) reject(outcome);
      else resolve(outcome);
    });
  });
}

function workerFailure(detail: string): MaskLoopError {
  return new MaskLoopError('TRAINING', `The training worker stopped unexpectedly (${detail}); nothing was stored. Train again, and report it if it happens again.`);
}

/** From source (tsx) the worker registers tsx itself before loading the .ts entry; bundled it is training-worker.js. */
function startTrainingWorker(job: TrainingJob): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./training-worker.js', import.meta.url), { workerData: job });
  const entry = new URL('./training-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: job });
}
