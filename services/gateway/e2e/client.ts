// A client of the shop's gateway for end-to-end tests: JSON in, JSON (or null) out, with a bearer token.

/** An answer of the gateway: status, headers and the parsed JSON body (null when empty). */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the endpoint answers
  body: any;
}

/** Calls the gateway at `base()` (read per call: tests learn the address in `beforeAll`). */
export function gatewayClient(base: () => string) {
  return async function api(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer> {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: {
        ...(opts.body === undefined ? {} : { "content-type": "application/json" }),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
}
