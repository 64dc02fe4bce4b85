// Hot reload: on SIGHUP or a change of the config file, a valid new config replaces the runtime in one
// assignment; an invalid one is refused with its problems logged, and the old one keeps serving.
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { GatewayConfigError, loadConfigFile, metricsAddressOf } from "../config/config.load.ts";
import { serverLimitsOf } from "../config/server.limits.ts";
import { buildRuntime, type GatewayFeatures, type GatewayRuntime } from "../proxy/endpoint.build.ts";
import type { RuntimeRef } from "./gateway.handler.ts";

/** The logger calls the reloader makes (a pino logger fits). */
export interface ReloadLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of `createReloader`. */
export interface ReloaderOptions {
  file: string;
  ref: RuntimeRef;
  features: GatewayFeatures;
  logger: ReloadLogger;
  env?: Record<string, string | undefined>;
  /** Called after a swap, e.g. to purge caches or log. */
  onSwap?: (next: GatewayRuntime, previous: GatewayRuntime) => void;
  debounceMs?: number;
}

/** A reloader; `reload` is also what SIGHUP and the watcher call. */
export interface Reloader {
  reload(reason: string): boolean;
  /** Starts watching the file and listening for SIGHUP. */
  start(): void;
  stop(): void;
}

/** Creates a reloader for one config file. */
export function createReloader(opts: ReloaderOptions): Reloader {
  const { file, ref, logger } = opts;
  let watcher: FSWatcher | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastText = "";

  const reload = (reason: string): boolean => {
    try {
      const loaded = loadConfigFile(file, opts.env ?? process.env);
      const next = buildRuntime(loaded, opts.features);
      const previous = ref.current;
      if ((loaded.config.port ?? 8080) !== (previous.loaded.config.port ?? 8080)) {
        logger.warn({ reason }, "config reloaded but the port changes only on restart");
      }
      if (metricsAddressOf(loaded) !== metricsAddressOf(previous.loaded)) {
        logger.warn({ reason }, "config reloaded but telemetry/metrics.listen_address changes only on restart");
      }
      if (!Bun.deepEquals(serverLimitsOf(loaded.config), serverLimitsOf(previous.loaded.config))) {
        logger.warn({ reason }, "config reloaded but the server limits change only on restart");
      }
      ref.current = next;
      opts.onSwap?.(next, previous);
      for (const w of loaded.warnings) logger.warn({ warning: w }, "config warning");
      logger.info({ reason, endpoints: next.endpoints.length }, "config reloaded");
      return true;
    } catch (err) {
      const problems = err instanceof GatewayConfigError ? err.problems : [{ path: "", message: String(err) }];
      logger.error({ reason, problems }, "config reload refused; the previous config keeps serving");
      return false;
    }
  };

  const onHup = () => reload("SIGHUP");

  const onChange = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      timer = null;
      // Editors fire several events per save; reload only when the content really changed.
      const text = await Bun.file(file)
        .text()
        .catch(() => "");
      if (text === "" || text === lastText) return;
      lastText = text;
      reload("file changed");
    }, opts.debounceMs ?? 150);
  };

  return {
    reload,
    start() {
      Bun.file(file)
        .text()
        .then((t) => {
          lastText = t;
        })
        .catch(() => {});
      process.on("SIGHUP", onHup);
      // Watch the directory: editors and config management replace the file rather than write it.
      watcher = watch(dirname(file), (_event, name) => {
        if (name === null || name === basename(file)) onChange();
      });
    },
    stop() {
      process.off("SIGHUP", onHup);
      watcher?.close();
      if (timer) clearTimeout(timer);
    },
  };
}
