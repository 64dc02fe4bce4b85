// The route table: a segment trie built once per config, matched without regular expressions.
// Precedence at each level: a literal segment, then a `{param}`, then a trailing `*` wildcard.

interface Node<T> {
  statics: Map<string, Node<T>> | null;
  param: Node<T> | null;
  /** Routes ending exactly here, by method. */
  routes: Map<string, T> | null;
  /** Wildcard routes (`/prefix/*`) rooted here, by method. */
  wildcard: Map<string, T> | null;
}

/** A matched route: its value, parameter values in path order and, for wildcards, the rest of the path. */
export interface RouteMatch<T> {
  value: T;
  params: string[];
  rest: string | null;
}

/** The outcome of a lookup: a match, a path known under other methods (405), the same path with or without
 * a trailing slash routed for this method (a redirect to `path`), or nothing (404). */
export type Lookup<T> =
  | { kind: "match"; match: RouteMatch<T> }
  | { kind: "method"; allow: string[] }
  | { kind: "redirect"; path: string }
  | { kind: "none" };

const newNode = <T>(): Node<T> => ({ statics: null, param: null, routes: null, wildcard: null });

const NO_PARAMS: string[] = Object.freeze([]) as unknown as string[];

/** Builds a trie from `(method, path, value)` entries; paths use `{name}` parameters and a final `*`. */
export class RouteTable<T> {
  private readonly root: Node<T> = newNode();
  readonly size: number;
  /**
   * Paths without parameters or wildcard, looked up whole before the trie: their answers, by method, are
   * made once (a literal path reaches the same node through the trie, literals winning at every level).
   */
  private readonly exact = new Map<string, { byMethod: Map<string, Lookup<T>>; allow: string[] }>();

  constructor(entries: Iterable<{ method: string; path: string; value: T }>) {
    let n = 0;
    const literal = new Map<string, Map<string, T>>();
    for (const e of entries) {
      this.insert(e.method, e.path, e.value);
      if (!e.path.includes("{") && !e.path.endsWith("*")) {
        const methods = literal.get(e.path) ?? new Map<string, T>();
        // the trie keeps the last value given for a method and path; so does this table
        methods.set(e.method, e.value);
        literal.set(e.path, methods);
      }
      n++;
    }
    this.size = n;
    for (const [path, methods] of literal) {
      const byMethod = new Map<string, Lookup<T>>();
      for (const [method, value] of methods) {
        byMethod.set(
          method,
          Object.freeze({ kind: "match", match: Object.freeze({ value, params: NO_PARAMS, rest: null }) }),
        );
      }
      this.exact.set(path, { byMethod, allow: [...methods.keys()] });
    }
  }

  private insert(method: string, path: string, value: T): void {
    let node = this.root;
    const segments = path.split("/").slice(1);
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg === "*" && i === segments.length - 1) {
        node.wildcard ??= new Map();
        node.wildcard.set(method, value);
        return;
      }
      if (seg.startsWith("{") && seg.endsWith("}")) {
        node.param ??= newNode();
        node = node.param;
      } else {
        node.statics ??= new Map();
        let next = node.statics.get(seg);
        if (!next) {
          next = newNode();
          node.statics.set(seg, next);
        }
        node = next;
      }
    }
    node.routes ??= new Map();
    node.routes.set(method, value);
  }

  /**
   * Looks up a raw (still percent-encoded) path such as `/api/users/42`. A path routed nowhere whose twin with
   * (or without) a trailing slash is routed for `method` gives that twin to redirect to, as KrakenD's router
   * (gin's RedirectTrailingSlash) does.
   */
  lookup(method: string, path: string): Lookup<T> {
    const found = this.find(method, path);
    // a twin starting with "//" would be a protocol-relative Location: another host
    if (found.kind !== "none" || path.length < 2 || path.charCodeAt(1) === 47) return found;
    const twin = path.charCodeAt(path.length - 1) === 47 ? path.slice(0, -1) : `${path}/`;
    return this.find(method, twin).kind === "match" ? { kind: "redirect", path: twin } : found;
  }

  private find(method: string, path: string): Lookup<T> {
    const literal = this.exact.get(path);
    if (literal !== undefined) {
      const found = literal.byMethod.get(method);
      return found ?? { kind: "method", allow: [...literal.allow] };
    }
    if (path.charCodeAt(0) !== 47 /* / */) return { kind: "none" };
    const params: string[] = [];
    const found = this.walk(this.root, path, 1, params);
    if (!found) return { kind: "none" };
    const value = found.methods.get(method);
    if (value === undefined) return { kind: "method", allow: [...found.methods.keys()] };
    return { kind: "match", match: { value, params, rest: found.rest } };
  }

  private walk(
    node: Node<T>,
    path: string,
    start: number,
    params: string[],
  ): { methods: Map<string, T>; rest: string | null } | null {
    if (start > path.length) {
      return node.routes ? { methods: node.routes, rest: null } : null;
    }
    let end = path.indexOf("/", start);
    if (end === -1) end = path.length;
    const seg = path.slice(start, end);
    const next = node.statics?.get(seg);
    if (next) {
      const r = this.walk(next, path, end + 1, params);
      if (r) return r;
    }
    if (seg.length > 0) {
      if (node.param) {
        params.push(seg);
        const r = this.walk(node.param, path, end + 1, params);
        if (r) return r;
        params.pop();
      }
    }
    if (node.wildcard) return { methods: node.wildcard, rest: path.slice(start) };
    return null;
  }
}
