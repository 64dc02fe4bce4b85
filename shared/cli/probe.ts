// `healthcheck`: asks a running instance whether it is ready, for container health checks in images that
// hold nothing but the binary (no curl, no shell).
import type { Writer } from "./writer.ts";

/** The URL of `path` on an instance listening on `host:port`, reached over loopback when it listens on
 * every address. */
export function localUrl(host: string | undefined, port: number, path: string): string {
  const h = !host || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${h.includes(":") ? `[${h}]` : h}:${port}${path}`;
}

/** 0 when `url` answers 2xx within `timeoutMs`, else 1; one line on `out` or `err` says which. */
export async function probe(url: string, out: Writer, err: Writer, timeoutMs = 2000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await res.arrayBuffer();
    if (res.ok) {
      out.write(`ready: ${url}\n`);
      return 0;
    }
    err.write(`not ready: ${url} answered ${res.status}\n`);
  } catch (e) {
    const name = (e as { name?: string })?.name;
    const why = name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e as Error)?.message;
    err.write(`not ready: ${url}: ${why}\n`);
  }
  return 1;
}
