// `maskloop train P --model CKPT`: fine-tunes the project's decoder on its accepted masks; prints held-out IoU before and after.
import { MaskLoopError } from '../../errors.js';
import { SamModel } from '../../sam/sam-model.js';
import { Project } from '../../store/project.js';
import type { EnginePreference } from '../../train/engine.js';
import { startFineTune, type FineTuneEvent, type FineTuneResult } from '../../train/fine-tune.js';
import { requireEnoughAnnotations } from '../../train/held-out-split.js';
import { LOSS_PRESETS, type LossPreset } from '../../train/losses.js';
import { collectTrainingAnnotations } from '../../train/samples.js';
import { parseCommandArgs, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';

const ENGINES: readonly EnginePreference[] = ['auto', 'gpu', 'native', 'wasm', 'cpu'];
/** Progress lines at most this often, so a long run prints a readable log. */
const PROGRESS_INTERVAL_MS = 5000;
const EXIT_CANCELLED = 130;

export const trainCommand: CliCommand = {
  name: 'train',
  summary: "Fine-tune the project's mask decoder on its accepted masks; activates the new version only when its held-out IoU is better.",
  usage: `P --model CKPT [--epochs N] [--steps N] [--heads-only] [--loss ${Object.keys(LOSS_PRESETS).join('|')}] [--force-activate] [--engine ${ENGINES.join('|')}] [--json]`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      'train',
      args,
      {
        model: { type: 'string' },
        epochs: { type: 'string' },
        steps: { type: 'string' },
        'heads-only': { type: 'boolean', default: false },
        loss: { type: 'string' },
        'force-activate': { type: 'boolean', default: false },
        engine: { type: 'string', default: 'auto' },
        json: { type: 'boolean', default: false },
      },
      true,
    );
    if (positionals.length !== 1) throw new MaskLoopError('INVALID_ARGUMENT', 'train: use "maskloop train P --model CKPT".');
    const checkpoint = requireOption('train', values.model, '--model');
    const loss = oneOf('--loss', values.loss, Object.keys(LOSS_PRESETS) as LossPreset[]);
    const engine = oneOf('--engine', values.engine, ENGINES);
    const epochs = positiveInteger('--epochs', values.epochs);
    const steps = positiveInteger('--steps', values.steps);
    const project = Project.open(positionals[0]);
    try {
      // Refused before the model loads: that takes a while, and too few masks is the common first mistake.
      requireEnoughAnnotations(collectTrainingAnnotations(project).usable);
      const model = await SamModel.load({ checkpoint });
      const handle = startFineTune(
        project,
        model,
        { checkpoint, epochs, steps, headsOnly: values['heads-only'] ? true : undefined, loss, forceActivate: values['force-activate'], engine },
        progressPrinter(),
      );
      const stop = () => handle.cancel();
      process.once('SIGINT', stop);
      const result = await handle.done.finally(() => process.off('SIGINT', stop));
      if (values.json) console.log(JSON.stringify(result));
      else printResult(result);
      return result.outcome === 'cancelled' ? EXIT_CANCELLED : 0;
    } finally {
      project.close();
    }
  },
};

function progressPrinter(): (event: FineTuneEvent) => void {
  let lastLine = 0;
  return (event) => {
    if (event.type === 'engine') console.error(`maskloop: training engine: ${event.description}`);
    else if (event.type === 'notice') console.error(`maskloop: note: ${event.message}`);
    else if (event.type === 'stage') {
      if (event.stage !== 'preparing') console.error(`maskloop: ${event.stage}${event.detail ? ` ${event.detail}` : ''}`);
    } else {
      const { step, totalSteps, epoch, epochs, loss, samplesPerSecond, etaMs } = event.progress;
      if (step !== totalSteps && step !== 1 && performance.now() - lastLine < PROGRESS_INTERVAL_MS) return;
      lastLine = performance.now();
      const eta = etaMs === null ? '' : `, about ${Math.ceil(etaMs / 1000)} s left`;
      console.error(`maskloop: step ${step}/${totalSteps} (epoch ${epoch}/${epochs}), loss ${loss.toFixed(4)}, ${samplesPerSecond.toFixed(2)} samples/s${eta}`);
    }
  };
}

function printResult(result: FineTuneResult): void {
  if (result.outcome === 'cancelled') {
    console.log('maskloop: training cancelled; no decoder version was stored and the decoder in use is unchanged.');
    return;
  }
  const reasons = new Map<string, number>();
  for (const { reason } of result.skipped) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  for (const [reason, count] of reasons) console.log(`maskloop: ${count} mask(s) left out: ${reason}`);
  const { base, start, result: after } = result.heldOut!;
  const iou = (value: number) => value.toFixed(3);
  console.log(
    `held-out mean IoU on ${after.annotations} mask(s) (box and click prompts): checkpoint decoder ${iou(base.meanIoU)}` +
      `${start ? `, decoder in use ${iou(start.meanIoU)}` : ''}, new decoder ${iou(after.meanIoU)}`,
  );
  const change = `${iou(result.heldOutIoUBefore!)} -> ${iou(result.heldOutIoUAfter!)}`;
  if (result.activated) console.log(`maskloop: decoder version ${result.versionId} stored and activated (held-out IoU ${change})`);
  else console.log(`maskloop: decoder version ${result.versionId} stored, not activated: it is not better than the decoder in use (${change}); --force-activate uses it anyway`);
}

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new MaskLoopError('INVALID_ARGUMENT', `train: ${flag} "${text}" should be a whole number of 1 or more.`);
  return value;
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) throw new MaskLoopError('INVALID_ARGUMENT', `train: ${flag} "${text}" should be one of ${allowed.join(', ')}.`);
  return text as T;
}
