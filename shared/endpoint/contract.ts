import type { z } from "zod";
import type { ErrorCode } from "../errors/index.ts";
import type { Actor } from "../identity/caller.ts";

/**
 * The transport-free description of one operation: its name (also its NATS subject), input and output
 * schemas, and the error codes it may answer. Contracts other services call live in `shared/contracts`.
 */
export interface EndpointContract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** `<service>.<entity>.<verb>`, e.g. `catalog.products.get`; the NATS subject too. */
  name: string;
  summary: string;
  input: I;
  output: O;
  /** Error codes callers should expect (documented; the transport maps any code). */
  errors: readonly ErrorCode[];
  /** Safe to retry: reads and other calls without side effects. */
  idempotent: boolean;
}

/** Declares a contract; the identity function gives the schemas their precise types. */
export function defineContract<I extends z.ZodType, O extends z.ZodType>(
  contract: EndpointContract<I, O>,
): EndpointContract<I, O> {
  return contract;
}

/** Who calls and on behalf of whom, whatever the transport. */
export interface CallContext {
  /** The end user the call is for, as the gateway vouched for it; null for anonymous or system calls. */
  identity: Actor | null;
  requestId: string;
  traceId?: string;
  /** False when the edge decided not to record the trace: no span is made for the call, and the trace goes on flagged unsampled. */
  sampled?: boolean;
  /** The caller's `traceparent` as a message transport received it; the endpoint span continues it. */
  traceparent?: string;
  /** The caller's `tracestate`, forwarded with `traceparent`. */
  tracestate?: string;
  /** When the caller stops waiting (epoch ms): a gRPC call's `grpc-timeout`, or the server's default budget. Calls made for this one get no more time. */
  deadline?: number;
}

/** A contract bound to the function that serves it (the go-kit "endpoint"). */
export interface Endpoint<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType>
  extends EndpointContract<I, O> {
  handle(input: z.output<I>, ctx: CallContext): Promise<z.input<O>>;
}

/**
 * Binds a handler to a contract. The handler receives validated input and returns the output DTO; it
 * throws AppError for failures, which every transport maps the same way.
 * @example const getUser = implement(usersGet, (input, ctx) => service.get(requireCaller(ctx), input.id).then(toDto));
 */
export function implement<I extends z.ZodType, O extends z.ZodType>(
  contract: EndpointContract<I, O>,
  handle: (input: z.output<I>, ctx: CallContext) => Promise<z.input<O>>,
): Endpoint<I, O> {
  return { ...contract, handle };
}
