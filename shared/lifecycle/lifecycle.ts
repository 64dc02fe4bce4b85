import { withTimeout } from "./timeout.ts";
/** The part of a logger the lifecycle uses (a pino Logger fits). */
export interface LifecycleLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a stop step is told: why we stop and when the drain budget runs out (epoch ms). */
export interface StopContext {
  reason: string;
  deadline: number;
}

/** A function run at shutdown; may be async. */
export type StopStep = (ctx: StopContext) => unknown;

/** Options of `createLifecycle`. */
export interface LifecycleOptions {
  logger: LifecycleLogger;
  /** Time each stop step gets before the lifecycle gives up on it and moves on. */
  drainMs: number;
  signals?: readonly NodeJS.Signals[];
  /** Called on the second signal; default `process.exit`. */
  forceExit?: (code: number) => void;
  /**
   * Signals arriving this soon after the first are echoes, not a second request: Ctrl-C reaches every
   * process of the terminal's group, and `npm`/`bun run` forward it again (default 1000 ms).
   */
  repeatGraceMs?: number;
  /**
   * Listens for promise rejections nobody handled. Those this returns true for are logged as warnings and
   * the process goes on (see `isDriverBackgroundError`); any other is logged as an error and stops the
   * lifecycle with the reason `UNHANDLED_REJECTION`, steps and drain included. Without it, the runtime's
   * default applies (Bun exits at once).
   */
  tolerateRejection?: (reason: unknown) => boolean;
}

/** The reason `stopped` resolves with when an unhandled rejection stopped the lifecycle. */
export const UNHANDLED_REJECTION = "unhandled rejection";

/** Graceful shutdown: steps run in reverse order of registration on `stop` or the first signal. */
export interface Lifecycle {
  /** Registers a step; the last registered runs first (stop accepting before closing pools). */
  onStop(name: string, step: StopStep): void;
  /** Runs every step once; later calls return the same promise. */
  stop(reason: string): Promise<void>;
  /** Resolves with the reason once every step has finished. */
  readonly stopped: Promise<string>;
  /** Removes the signal and rejection handlers (for tests and for callers that stop by themselves). */
  dispose(): void;
}

const timedOut = Symbol("timed out");

/** Creates a lifecycle and listens for `signals` (SIGTERM and SIGINT by default). */
export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { logger, drainMs, signals = ["SIGTERM", "SIGINT"] } = options;
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code));
  const steps: { name: string; step: StopStep }[] = [];
  let stopping: Promise<void> | undefined;
  let firstSignalAt = 0;
  const repeatGraceMs = options.repeatGraceMs ?? 1000;
  let markStopped: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    markStopped = resolve;
  });

  const runSteps = async (reason: string) => {
    const deadline = Date.now() + drainMs;
    logger.info({ reason, drainMs }, "stopping");
    for (const { name, step } of [...steps].reverse()) {
      const started = Date.now();
      try {
        const outcome = await withTimeout(Promise.resolve(step({ reason, deadline })), drainMs, () => timedOut);
        if (outcome === timedOut) logger.warn({ step: name, drainMs }, "stop step timed out; moving on");
        else logger.info({ step: name, ms: Date.now() - started }, "stop step done");
      } catch (err) {
        logger.error({ step: name, err }, "stop step failed; moving on");
      }
    }
    removeSignals();
    logger.info({ reason }, "stopped");
    markStopped(reason);
  };

  const stop = (reason: string): Promise<void> => {
    stopping ??= runSteps(reason);
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (Date.now() - firstSignalAt < repeatGraceMs) return;
      logger.warn({ signal }, "second signal while stopping; exiting now");
      forceExit(1);
      return;
    }
    firstSignalAt = Date.now();
    void stop(signal);
  };

  // The signal handlers stay until the steps finish, so a second signal can still force the exit.
  const removeSignals = () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
  for (const signal of signals) process.on(signal, onSignal);

  // The rejection handler stays after the steps: a pool closing at shutdown may leave one more behind.
  const tolerate = options.tolerateRejection;
  const onRejection = (reason: unknown) => {
    if (tolerate?.(reason)) {
      logger.warn({ err: reason }, "a rejection nobody handled, of a kind known to be harmless; going on");
      return;
    }
    logger.error({ err: reason }, "unhandled promise rejection; stopping");
    void stop(UNHANDLED_REJECTION);
  };
  if (tolerate) process.on("unhandledRejection", onRejection);

  const dispose = () => {
    removeSignals();
    if (tolerate) process.off("unhandledRejection", onRejection);
  };

  return {
    onStop: (name, step) => {
      steps.push({ name, step });
    },
    stop,
    stopped,
    dispose,
  };
}
