// Where a request carries its token: the Bearer header (or `auth_header_name`), else the `cookie_key` cookie.
import type { ValidatorConfig } from "./jwt.config.ts";

/** The part of a client request the validator reads. */
export interface TokenSource {
  headers: { get(name: string): string | null };
}

function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The raw token of a request, or undefined when it carries none. */
export function tokenFrom(req: TokenSource, cfg: ValidatorConfig): string | undefined {
  const header = req.headers.get(cfg.auth_header_name);
  if (header) {
    // KrakenD takes the Bearer credential from the header; a bare token is accepted in custom headers
    if (header.length > 7 && header.slice(0, 7).toLowerCase() === "bearer ") return header.slice(7).trim();
    if (cfg.auth_header_name.toLowerCase() !== "authorization") return header.trim();
  }
  return cfg.cookie_key ? cookieValue(req.headers.get("cookie"), cfg.cookie_key) : undefined;
}
