// What every operation of an API document states explicitly, so the documents pass Redocly's
// `recommended` rules: its security (an empty list for operations that need no identity) and an id.
// Standalone (no zod, no hono) so the gateway's generated document uses the same naming.

const METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/**
 * The operation id derived from a method and a path, for operations whose definition names none.
 * @example operationIdFor("POST", "/auth/users/{id}/roles") // "postAuthUsersIdRoles"
 */
export function operationIdFor(method: string, path: string): string {
  return `${method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`;
}

type Json = Record<string, unknown>;

/**
 * Completes every operation of an OpenAPI document in place: one that declares no security scheme gets
 * `security: []` (it is public: routes that need the caller's identity declare `gatewayIdentity`), and one
 * without an `operationId` gets {@link operationIdFor} its method and path. Returns the document.
 */
export function completeOperations<T extends Json>(document: T): T {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>;
  const taken = new Set<string>();
  for (const ops of Object.values(paths))
    for (const [method, op] of Object.entries(ops))
      if (METHODS.has(method) && typeof op.operationId === "string") taken.add(op.operationId);
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!METHODS.has(method)) continue;
      if (op.security === undefined) op.security = [];
      if (op.operationId === undefined) {
        let id = operationIdFor(method, path);
        for (let n = 2; taken.has(id); n++) id = `${operationIdFor(method, path)}${n}`;
        taken.add(id);
        op.operationId = id;
      }
    }
  }
  return document;
}
