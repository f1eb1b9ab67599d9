import { z } from 'zod';
import { ErrorCode } from '../errors/error-code';
import { RpcError } from '../errors/rpc-error';

export interface FieldViolation {
  field: string;
  message: string;
}

/**
 * Parses a value against a schema. On failure the error is INVALID_ARGUMENT whose message names the
 * first offending field and whose details list them all.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: FieldViolation[] = result.error.issues.map((issue) => ({
    field: issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const first = fields[0];
  throw new RpcError(
    ErrorCode.INVALID_ARGUMENT,
    first ? `invalid ${first.field}: ${first.message}` : 'invalid request',
    { fields },
  );
}
