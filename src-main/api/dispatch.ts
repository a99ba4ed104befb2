// The boundary every transport goes through: method lookup, payload validation, errors turned into values.
import type { z } from 'zod';
import { isMaskLoopError } from '../errors.js';
import { listMethods, type ApiError, type ApiResult, type MaskLoopApi } from './contract.js';

/** Answers one request; never throws. */
export type Dispatch = (method: string, params: unknown) => Promise<ApiResult<unknown>>;

export interface DispatchLog {
  error(message: string): void;
}

type AnyHandler = (input: unknown) => Promise<unknown>;

export function createDispatcher(handlers: MaskLoopApi, log: DispatchLog = console): Dispatch {
  const table = new Map(
    listMethods().map(({ method, group, name, input }) => {
      const handler = (handlers[group] as Record<string, AnyHandler>)[name].bind(handlers[group]);
      return [method as string, { input, handler }];
    }),
  );
  return async (method, params) => {
    const entry = table.get(method);
    if (!entry) return failure({ code: 'UNKNOWN_METHOD', message: `"${method}" is not a MaskLoop request.` });
    const parsed = entry.input.safeParse(params ?? {});
    if (!parsed.success) return failure({ code: 'INVALID_PAYLOAD', message: describeInvalidPayload(method, parsed.error) });
    try {
      return { ok: true, value: await entry.handler(parsed.data) };
    } catch (error) {
      return failure(toApiError(method, error, log));
    }
  };
}

function failure(error: ApiError): ApiResult<never> {
  return { ok: false, error };
}

/** "Invalid sam.predict request: points[0].label: Invalid input: expected 1 or 0" */
export function describeInvalidPayload(method: string, error: z.ZodError): string {
  const problems = error.issues.map((issue) => {
    const field = issue.path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${String(key)}`)).join('');
    return field ? `${field}: ${issue.message}` : issue.message;
  });
  return `Invalid ${method} request: ${problems.join('; ')}.`;
}

/** MaskLoopErrors carry their own message; anything else is a bug: logged with its stack, answered readably. */
export function toApiError(method: string, error: unknown, log: DispatchLog): ApiError {
  if (isMaskLoopError(error)) return { code: error.code, message: error.message };
  const cause = error instanceof Error ? error : new Error(String(error));
  log.error(`maskloop: ${method} failed unexpectedly: ${cause.stack ?? cause.message}`);
  return { code: 'INTERNAL', message: `MaskLoop hit an unexpected error in ${method}: ${cause.message}. Details are in the log.` };
}
