// Reads JSON columns through a zod schema, so a damaged or hand-edited value becomes a clear error, not a wrong type.
import { z } from 'zod';
import { MaskLoopError } from '../errors.js';

/** A JSON object of free-form values: model metrics, training settings. */
export const jsonObjectSchema = z.record(z.string(), z.json());
export type JsonObject = z.output<typeof jsonObjectSchema>;

export function parseJsonColumn<T extends z.ZodType>(schema: T, text: string, column: string): z.output<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw damaged(column, 'is not valid JSON', error);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw damaged(column, `does not have the expected shape (${parsed.error.message})`);
  return parsed.data;
}

function damaged(column: string, problem: string, cause?: unknown): MaskLoopError {
  return new MaskLoopError(
    'PROJECT',
    `The project file's ${column} ${problem}; the file may have been edited by another program. Restore it from a backup.`,
    { cause },
  );
}
