// What every CLI subcommand provides; the dispatcher in main.ts only looks commands up by name.

export interface CliCommand {
  readonly name: string;
  /** One line for `maskloop help`. */
  readonly summary: string;
  /** The argument synopsis, e.g. `--model CKPT --image IMG --out FILE`. */
  readonly usage: string;
  /** Resolves to the process exit code; throws MaskLoopError for bad input. */
  run(args: string[]): Promise<number>;
}
