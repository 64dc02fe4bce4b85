// Headless Chromium for tests that look at pages the way a person would (e.g. `/docs`), using
// Debian's chromium through playwright-core (which downloads no browser of its own), with a guard that
// keeps every request on the loopback interface.
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
 * Makes sure `/usr/bin/chromium` exists, installing Debian's `chromium` package when it is missing
 * (directly as root, through `sudo -n` otherwise). Throws a message saying what to run when neither works.
 *
 * @example
 * ```ts
 * ensureChromium(); // before launching
 * ```
 */
export function ensureChromium(path = CHROMIUM_PATH): string {
  if (existsSync(path)) return path;
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : Bun.which("sudo") ? ["sudo", "-n"] : null;
  if (!Bun.which("apt-get") || sudo === null) {
    throw new Error(
      `${path} is missing and cannot be installed here (needs apt-get and root or sudo). ` +
        "Install it with: sudo apt-get install -y chromium",
    );
  }
  console.error(`[browser] ${path} missing: installing Debian's chromium package`);
  try {
    run([...sudo, "apt-get", "update"]);
    run([...sudo, "apt-get", "install", "-y", "--no-install-recommends", "chromium"]);
  } catch (err) {
    throw new Error(
      `could not install chromium (${err instanceof Error ? err.message : err}). Install it with: sudo apt-get install -y chromium`,
    );
  }
  if (!existsSync(path)) throw new Error(`apt-get installed chromium but ${path} is still missing`);
  return path;
}

/** A running browser with one fresh profile; `close()` also deletes the profile folder. */
export interface LaunchedChromium {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium headless with a fresh user-data-dir, installing it first if needed.
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
