// Request ids: a client's `x-request-id` is kept only when it looks like an id.

const requestIdRe = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when it is a sane id, else a new UUID. */
export function requestIdFrom(header: string | null): string {
  return header && requestIdRe.test(header) ? header : crypto.randomUUID();
}
