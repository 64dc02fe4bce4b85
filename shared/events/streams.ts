import {
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos, TimeoutError } from "@nats-io/transport-node";

/** One stream as config declares it. */
export interface StreamSpec {
  name: string;
  subjects: string[];
  /** `limits` keeps messages until max age/messages (default); `interest` while consumers still need them. */
  retention?: "limits" | "interest" | "workqueue";
  /** JetStream drops a re-sent `Nats-Msg-Id` within this window (default 2 minutes). */
  duplicateWindowMs?: number;
  /** 0 = unlimited (default 7 days). */
  maxAgeMs?: number;
  /** -1 = unlimited (default). */
  maxMessages?: number;
  storage?: "file" | "memory";
  replicas?: number;
}

const retentionOf = {
  limits: RetentionPolicy.Limits,
  interest: RetentionPolicy.Interest,
  workqueue: RetentionPolicy.Workqueue,
};

function streamConfig(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: spec.subjects,
    retention: retentionOf[spec.retention ?? "limits"],
    storage: spec.storage === "memory" ? StorageType.Memory : StorageType.File,
    duplicate_window: nanos(spec.duplicateWindowMs ?? 120_000),
    max_age: nanos(spec.maxAgeMs ?? 7 * 86_400_000),
    max_msgs: spec.maxMessages ?? -1,
    num_replicas: spec.replicas ?? 1,
  };
}

/** True for a JetStream "not found" answer (stream or consumer). */
export function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014);
}

/**
 * A JetStream API answer that may come right when asked again: none in time, a create that lost a race, or
 * "JetStream system temporarily unavailable" (10008), the answer while a cluster is still electing its leaders.
 */
function isTransient(err: unknown): boolean {
  return (
    err instanceof TimeoutError || (err instanceof JetStreamApiError && (err.code === 10058 || err.code === 10008))
  );
}

/** Creates the stream, or updates it when it exists; says which. */
async function provisionOne(jsm: JetStreamManager, spec: StreamSpec): Promise<"created" | "updated"> {
  const config = streamConfig(spec);
  try {
    await jsm.streams.info(spec.name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
    return "created";
  }
  const { name, ...rest } = config;
  await jsm.streams.update(name, rest);
  return "updated";
}

/**
 * Creates each stream, or updates it to match the spec when it exists (idempotent; safe for several
 * instances starting at once). On a cluster, of several instances creating one stream at once some may
 * get no answer in time, or "name already in use": such a stream is looked up and provisioned again,
 * for up to `retryForMs` (default 30 s). Returns the names it created and updated.
 * @example await provisionStreams(jsm, [{ name: "ORDERS", subjects: ["orders.>"] }]);
 */
export async function provisionStreams(
  jsm: JetStreamManager,
  specs: readonly StreamSpec[],
  options: { retryForMs?: number } = {},
): Promise<{ created: string[]; updated: string[] }> {
  const done = { created: [] as string[], updated: [] as string[] };
  for (const spec of specs) {
    const giveUpAt = Date.now() + (options.retryForMs ?? 30_000);
    for (let attempt = 0; ; attempt++) {
      try {
        done[await provisionOne(jsm, spec)].push(spec.name);
        break;
      } catch (err) {
        if (!isTransient(err) || Date.now() > giveUpAt) throw err;
        await Bun.sleep(Math.min(100 * 2 ** attempt, 2_000));
      }
    }
  }
  return done;
}
