import {
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";

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
 * Creates each stream, or updates it to match the spec when it exists (idempotent; safe for several
 * instances starting at once). Returns the names it created and updated.
 * @example await provisionStreams(jsm, [{ name: "ORDERS", subjects: ["orders.>"] }]);
 */
export async function provisionStreams(
  jsm: JetStreamManager,
  specs: readonly StreamSpec[],
): Promise<{ created: string[]; updated: string[] }> {
  const created: string[] = [];
  const updated: string[] = [];
  for (const spec of specs) {
    const config = streamConfig(spec);
    let exists = true;
    try {
      await jsm.streams.info(spec.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      exists = false;
    }
    if (!exists) {
      try {
        await jsm.streams.add(config);
        created.push(spec.name);
        continue;
      } catch (err) {
        // Another instance created it in between (10058: stream name already in use): update instead.
        if (!(err instanceof JetStreamApiError && err.code === 10058)) throw err;
      }
    }
    const { name, ...rest } = config;
    await jsm.streams.update(name, rest);
    updated.push(spec.name);
  }
  return { created, updated };
}
