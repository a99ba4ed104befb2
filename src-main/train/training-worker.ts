// The training worker thread: runs one fine-tune (training-run.ts) off the main thread and posts its messages back.
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainingJob } from './training-run.js';
import type { TrainingJob } from './training-job.js';

const port = parentPort!;
await runTrainingJob(workerData as TrainingJob, (message, transfer) => port.postMessage(message, transfer));
