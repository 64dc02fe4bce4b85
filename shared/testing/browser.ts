// Headless Chromium for tests that look at pages the way a person would (e.g. `/docs`), using
// Debian's chromium (or CHROME_PATH, or one on the PATH) through playwright-core, which downloads no
// browser of its own, with a guard that keeps every request on the loopback interface. Outside CI a
// machine without a browser skips these tests; CI installs Debian's package or fails.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags that keep Chromium headless, quiet and off the network on its own account. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Names a Chrome or Chromium goes by on the PATH, most likely first. */
const BROWSER_COMMANDS = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

/** How to get a browser, for the messages of a skipped or failed browser test. */
export const HOW_TO_GET_CHROMIUM =
  "put a Chromium on the PATH (Debian/Ubuntu: `sudo apt-get install chromium`) or set CHROME_PATH to a Chrome or Chromium binary";

/** What the machine offers, so the decision below is testable without changing the machine. */
export interface BrowserHost {
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
  which(command: string): string | null;
  isRoot: boolean;
}

/** Where a browser comes from here, or why there is none. */
export type ChromiumPlan =
  | { kind: "use"; path: string }
  /** In CI only: install Debian's chromium package, through `sudo` (the prefix) when not root. */
  | { kind: "install"; sudo: string[]; path: string }
  /** Outside CI: the browser tests skip, saying how to get a browser. */
  | { kind: "skip"; reason: string }
  /** In CI: the browser tests fail, saying why. */
  | { kind: "fail"; reason: string };

function realHost(): BrowserHost {
  return { env: process.env, exists: existsSync, which: (c) => Bun.which(c), isRoot: process.getuid?.() === 0 };
}

const isCi = (env: BrowserHost["env"]) => Boolean(env.CI) && env.CI !== "false" && env.CI !== "0";

/**
 * Decides where the browser comes from: `CHROME_PATH` when set, else Debian's /usr/bin/chromium or a
 * Chrome or Chromium on the PATH. With none, CI installs Debian's package (as root or through `sudo -n`)
 * or fails; anywhere else the browser tests skip, since a newcomer's `npm test` must not need root.
 *
 * @example
 * ```ts
 * planChromium(); // { kind: "use", path: "/usr/bin/chromium" }
 * ```
 */
export function planChromium(host: BrowserHost = realHost()): ChromiumPlan {
  const ci = isCi(host.env);
  const missing = (reason: string): ChromiumPlan =>
    ci ? { kind: "fail", reason } : { kind: "skip", reason: `${reason}: ${HOW_TO_GET_CHROMIUM}` };
  const configured = host.env.CHROME_PATH;
  if (configured) {
    return host.exists(configured)
      ? { kind: "use", path: configured }
      : missing(`CHROME_PATH=${configured} does not exist`);
  }
  if (host.exists(CHROMIUM_PATH)) return { kind: "use", path: CHROMIUM_PATH };
  for (const command of BROWSER_COMMANDS) {
    const path = host.which(command);
    if (path) return { kind: "use", path };
  }
  if (!ci) return missing("no Chromium found");
  const sudo = host.isRoot ? [] : host.which("sudo") ? ["sudo", "-n"] : null;
  if (!host.which("apt-get") || sudo === null) {
    return missing(
      `${CHROMIUM_PATH} is missing and cannot be installed here (needs apt-get and root or sudo): ${HOW_TO_GET_CHROMIUM}`,
    );
  }
  return { kind: "install", sudo, path: CHROMIUM_PATH };
}

/**
 * True when the browser tests should skip here (outside CI with no browser), after saying why and how
 * to get a browser; in CI always false, so a missing browser fails there.
 *
 * @example
 * ```ts
 * describe.skipIf(skipWithoutChromium())("/docs in a browser", () => { ... });
 * ```
 */
export function skipWithoutChromium(host: BrowserHost = realHost()): boolean {
  const plan = planChromium(host);
  if (plan.kind !== "skip") return false;
  console.warn(`[browser] skipping the browser tests: ${plan.reason}`);
  return true;
}

function run(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
  });
  if (r.exitCode !== 0) throw new Error(`\`${cmd.join(" ")}\` failed with exit code ${r.exitCode}`);
}

/**
 * The browser's path, carrying out {@link planChromium}: installs Debian's `chromium` package first
 * where the plan says so (CI), and throws the plan's reason where there is no browser.
 *
 * @example
 * ```ts
 * ensureChromium(); // before launching
 * ```
 */
export function ensureChromium(plan: ChromiumPlan = planChromium()): string {
  if (plan.kind === "use") return plan.path;
  if (plan.kind !== "install") throw new Error(plan.reason);
  console.error(`[browser] ${plan.path} missing: installing Debian's chromium package`);
  try {
    run([...plan.sudo, "apt-get", "update"]);
    run([...plan.sudo, "apt-get", "install", "-y", "--no-install-recommends", "chromium"]);
  } catch (err) {
    throw new Error(
      `could not install chromium (${err instanceof Error ? err.message : err}). Install it with: sudo apt-get install -y chromium`,
    );
  }
  if (!existsSync(plan.path)) throw new Error(`apt-get installed chromium but ${plan.path} is still missing`);
  return plan.path;
}

/** A running browser with one fresh profile; `close()` also deletes the profile folder. */
export interface LaunchedChromium {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches Chromium headless with a fresh user-data-dir, installing Debian's package first in CI if needed.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 * const guard = blockNonLoopback(page);
 * await page.goto(`${app.url}/docs`);
 * expect(guard.blocked).toEqual([]);
 * await browser.close();
 * ```
 */
export async function launchChromium(opts: { headless?: boolean } = {}): Promise<LaunchedChromium> {
  const executablePath = ensureChromium();
  const userDataDir = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: opts.headless ?? true,
    args: CHROMIUM_FLAGS,
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** True for URLs that stay on this machine: loopback hosts, or schemes without a network host. */
export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === "data:" || parsed.protocol === "blob:" || parsed.protocol === "about:") return true;
  return LOOPBACK_HOSTS.has(parsed.hostname);
}

/** What {@link blockNonLoopback} saw. */
export interface LoopbackGuard {
  /** URLs the page tried to reach off the loopback interface; each was aborted. */
  blocked: string[];
  /** Every URL the page requested, allowed or not. */
  requested: string[];
}

/**
 * Aborts every request of the page whose host is not 127.0.0.1, localhost or [::1], and records it,
 * so a test can assert that nothing tried to leave the machine.
 *
 * @example
 * ```ts
 * const guard = await blockNonLoopback(page);
 * await page.goto(url);
 * expect(guard.blocked).toEqual([]);
 * ```
 */
export async function blockNonLoopback(page: Page): Promise<LoopbackGuard> {
  const guard: LoopbackGuard = { blocked: [], requested: [] };
  await page.route("**/*", (route) => {
    const url = route.request().url();
    guard.requested.push(url);
    if (isLoopbackUrl(url)) return route.continue();
    guard.blocked.push(url);
    return route.abort("blockedbyclient");
  });
  return guard;
}
