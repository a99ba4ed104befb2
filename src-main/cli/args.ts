// Argument parsing shared by the CLI commands: node's parseArgs with MaskLoop's error messages.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MaskLoopError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<T extends Options>(command: string, args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new MaskLoopError('INVALID_ARGUMENT', `${command}: ${(error as Error).message}. Run "maskloop help" for usage.`);
  }
}

export function requireOption(command: string, value: string | undefined, flag: string): string {
  if (value === undefined || value === '') {
    throw new MaskLoopError('INVALID_ARGUMENT', `${command}: ${flag} is required. Run "maskloop help" for usage.`);
  }
  return value;
}

/** Parses "x,y" or "x,y,label" or "x0,y0,x1,y1" into numbers, naming the flag in the error. */
export function parseNumberList(command: string, flag: string, text: string, counts: readonly number[]): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  if (!counts.includes(values.length) || values.some((v) => !Number.isFinite(v))) {
    throw new MaskLoopError('INVALID_ARGUMENT', `${command}: ${flag} "${text}" should be ${counts.join(' or ')} comma-separated numbers.`);
  }
  return values;
}
