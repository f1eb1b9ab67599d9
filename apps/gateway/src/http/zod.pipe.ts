import { parseOrThrow } from '@live-im/contracts';
import { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

/**
 * Validates a route's body, path or query against a contract schema: INVALID_ARGUMENT naming the
 * field, defaults applied. A missing JSON body counts as `{}`, so an all-optional body may be left out.
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    return parseOrThrow(this.schema, value ?? {});
  }
}
