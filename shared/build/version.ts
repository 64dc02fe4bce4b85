/**
 * The build version, injected by `scripts/build.ts` through `define` as a JSON-quoted string.
 * Running from source leaves the identifier undefined, so `typeof` guards the read.
 */
declare const __BUILD_VERSION__: string | undefined;

/** Version used when running from source (no `define` was applied). */
export const DEV_VERSION = "0.0.0-dev";

/**
 * Returns the version baked into the compiled binary, or `0.0.0-dev` when running from source.
 *
 * @example
 * ```ts
 * import { buildVersion } from "@shared/build";
 * runCli({ name: "users", version: buildVersion() });
 * ```
 */
export function buildVersion(): string {
  return typeof __BUILD_VERSION__ === "string" && __BUILD_VERSION__ !== "" ? __BUILD_VERSION__ : DEV_VERSION;
}
