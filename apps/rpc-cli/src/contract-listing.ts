import { DEFAULT_RPC_TIMEOUT_MS, RPC_CONTRACTS } from '@live-im/contracts';
import { z } from 'zod';

/** One operation as a client in any language needs it: how to call it and what it takes and gives. */
export interface OperationListing {
  pattern: string;
  service: string;
  /** Set the IDEMPOTENT flag (request meta byte 8, bit 0): the call may be re-dispatched. */
  idempotent: boolean;
  /** The deadline to send as timeoutMs when the caller has no better one. */
  timeoutMs: number;
  description: string;
  /** JSON Schema (2020-12) of the payload the worker accepts. */
  request: Record<string, unknown>;
  /** JSON Schema (2020-12) of the value of an OK reply. */
  response: Record<string, unknown>;
}

export interface ContractListing {
  protocol: 'LRPC/1';
  defaultTimeoutMs: number;
  operations: OperationListing[];
}

/**
 * Every RPC operation, machine-readable: what `rpc contracts --json` prints and
 * docs/rpc-contracts.json holds. Schemas describe the wire value (the request as sent, before the
 * worker applies defaults; the response as sent).
 */
export function contractListing(): ContractListing {
  return {
    protocol: 'LRPC/1',
    defaultTimeoutMs: DEFAULT_RPC_TIMEOUT_MS,
    operations: [...RPC_CONTRACTS.values()]
      .map((contract) => ({
        pattern: contract.pattern,
        service: contract.service,
        idempotent: contract.idempotent,
        timeoutMs: contract.timeoutMs,
        description: contract.description,
        request: z.toJSONSchema(contract.request, { io: 'input', unrepresentable: 'any' }),
        response: z.toJSONSchema(contract.response, { io: 'output', unrepresentable: 'any' }),
      }))
      .sort((a, b) => a.pattern.localeCompare(b.pattern)),
  };
}
