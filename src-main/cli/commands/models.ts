// `maskloop models P`: the project's fine-tuned decoder versions (id, parent, held-out IoU, which is active); --activate switches.
import { MaskLoopError } from '../../errors.js';
import { Project } from '../../store/project.js';
import { listDecoderVersions, type DecoderVersionSummary } from '../../train/decoder-versions.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: "List the project's fine-tuned decoder versions; --activate ID uses one (rolling back is activating an older one), --activate base the checkpoint's own.",
  usage: 'P [--activate ID|base] [--json]',
  async run(args) {
    const { values, positionals } = parseCommandArgs('models', args, { activate: { type: 'string' }, json: { type: 'boolean', default: false } }, true);
    if (positionals.length !== 1) throw new MaskLoopError('INVALID_ARGUMENT', 'models: use "maskloop models P [--activate ID|base]".');
    const project = Project.open(positionals[0]);
    try {
      if (values.activate !== undefined) activate(project, values.activate);
      const versions = listDecoderVersions(project);
      if (values.json) console.log(JSON.stringify({ versions, activeVersionId: versions.find((v) => v.active)?.id ?? null }));
      else printVersions(versions);
      return 0;
    } finally {
      project.close();
    }
  },
};

/** The next app or CLI run that opens the project uses the activated version. */
function activate(project: Project, choice: string): void {
  if (choice === 'base') {
    project.models.deactivate('decoder');
    return;
  }
  const id = Number(choice);
  const version = Number.isInteger(id) ? listDecoderVersions(project).find((v) => v.id === id) : undefined;
  if (!version) {
    throw new MaskLoopError('NOT_FOUND', `models: there is no decoder version "${choice}" in this project; run "maskloop models P" for the list, or use --activate base.`);
  }
  project.models.activate(version.id);
}

function printVersions(versions: readonly DecoderVersionSummary[]): void {
  if (versions.length === 0) {
    console.log("No fine-tuned decoder versions yet: the checkpoint's own decoder is in use. Run \"maskloop train P --model CKPT\".");
    return;
  }
  const iou = (value: number | null) => (value === null ? '-' : value.toFixed(3));
  console.log('id  parent  held-out IoU  (before)  active  created');
  for (const v of versions) {
    const created = new Date(v.createdAt).toISOString().replace('T', ' ').slice(0, 19);
    console.log(`${String(v.id).padEnd(4)}${String(v.parentId ?? '-').padEnd(8)}${iou(v.heldOutIoU).padEnd(14)}${iou(v.heldOutIoUBefore).padEnd(10)}${(v.active ? 'yes' : '').padEnd(8)}${created}`);
  }
  if (!versions.some((v) => v.active)) console.log("(none active: the checkpoint's own decoder is in use)");
}
