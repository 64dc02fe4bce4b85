// How backend GETs go through their `qos/http-cache`: fresh entries answer without a backend call, stale
// ones are revalidated, misses are fetched and stored; and the server's fast path, which answers a cached
// pass-through GET before any pipeline runs.
import { fillUrl } from "../proxy/backend.ts";
import type {
  BackendRuntime,
  CachedAnswer,
  EndpointRuntime,
  PipelineMetrics,
  RequestView,
} from "../proxy/endpoint.types.ts";
import { filterQuery, HeaderLines } from "../proxy/forward.ts";
import { passThroughAnswer } from "../proxy/pass-through.ts";
import type { CacheFront, PriorLookup } from "../proxy/pipeline.ts";
import { answerOf, decodedBody, type Upstream, type UpstreamAnswer, type UpstreamCall } from "../proxy/upstream.ts";
import { prepareHead } from "../transport/answer.ts";
import type { Sink } from "../transport/deferred.ts";
import type { Answer, PreparedHead } from "../transport/transport.ts";

/** The request fields the pass-through fast path reads. */
export interface CachedRequest {
  params: string[];
  rest: string | null;
  requestId: string;
  /** The client's query, before `input_query_strings` filtering. */
  req: { query: string };
}

const NONE: never[] = [];

/** The backend's view of a GET, for the cache's `Vary` and `Authorization` rules: its forwarded headers are
 * only built when an entry asks for them. */
export class UpstreamView implements RequestView {
  readonly method = "GET";
  private lines: HeaderLines | null = null;
  constructor(private readonly source: HeaderLines | { forwardedHeaders(claims: null): HeaderLines }) {}

  get headers(): HeaderLines {
    if (this.lines === null) {
      const s = this.source;
      this.lines = s instanceof HeaderLines ? s : s.forwardedHeaders(null);
    }
    return this.lines;
  }
}

function headerRecord(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const k = pairs[i]!;
    out[k] = out[k] === undefined ? pairs[i + 1]! : `${out[k]}, ${pairs[i + 1]}`;
  }
  return out;
}

/** The caches of one gateway's backends, in front of its upstream. */
export class HttpCacheFront implements CacheFront {
  /** Cached answers as upstream answers: the pairs are built once per stored entry. */
  private readonly pairs = new WeakMap<CachedAnswer, string[]>();
  /** Per cached entry, the head its pass-through answers start from, rendered once (one cache belongs to one
   * endpoint), and what each answer adds after it. */
  private readonly passThroughHeads = new WeakMap<CachedAnswer, { head: PreparedHead; tail: string[] }>();

  constructor(
    private readonly upstream: Upstream,
    private readonly metrics: PipelineMetrics,
  ) {}

  send(
    be: BackendRuntime,
    call: UpstreamCall,
    prior: PriorLookup | null,
    to: Sink<UpstreamAnswer>,
    noted?: (hit: boolean) => void,
  ): void {
    this.viaCache(be, call, prior, noted).then(
      (answer) => to.answer(answer),
      (err) => to.fail(err),
    );
  }

  /**
   * A pass-through GET answered from a fresh entry without awaiting anything: the body and a prebuilt header
   * list are reused, only the request id is added. Null when the endpoint cannot answer this way (breaker,
   * several hosts, another method); a lookup that missed is returned for the pass-through call to reuse, so
   * a miss is counted once.
   */
  passThroughHit(
    ep: EndpointRuntime,
    /** The request as the backend would get it (see `UpstreamView`). */
    sent: RequestView,
    req: CachedRequest,
  ): Answer | PriorLookup | null {
    const be = ep.backends[0]!;
    if (be.cache === null || be.breaker !== null || be.hosts.length !== 1 || (be.method ?? "GET") !== "GET") {
      return null;
    }
    const query = filterQuery(req.req.query, ep.inputQuery);
    const url =
      be.fixedUrl !== null && query === "" && req.rest === null
        ? be.fixedUrl
        : be.hosts[0]! + fillUrl(be.url, { params: req.params, rest: req.rest, responses: NONE, claims: null }, query);
    const found = be.cache.lookup(url, sent);
    if (found.kind !== "hit") return { url, found };
    const entry = found.response;
    let base = this.passThroughHeads.get(entry);
    if (base === undefined) {
      const answer = passThroughAnswer(ep, this.fromCache(entry), "");
      // the request id is the one pair that changes per answer: the backend's (checked) pairs come before it
      const at = answer.headers.indexOf("x-request-id");
      base = {
        head: prepareHead(entry.status, answer.headers.slice(0, at)),
        tail: answer.headers.slice(at + 2),
      };
      this.passThroughHeads.set(entry, base);
    }
    this.metrics.cacheHit(be.label);
    const headers = ["x-request-id", req.requestId];
    for (let i = 0; i < base.tail.length; i++) headers.push(base.tail[i]!);
    // a request id is a checked token or a UUID, the rest comes from the config: no line breaks
    return { status: entry.status, headers, body: entry.body, head: base.head, checked: headers.length >> 1 };
  }

  private fromCache(c: CachedAnswer): UpstreamAnswer {
    let headers = this.pairs.get(c);
    if (headers === undefined) {
      headers = [];
      for (const k in c.headers) headers.push(k, c.headers[k]!);
      this.pairs.set(c, headers);
    }
    return { status: c.status, headers, body: c.body, contentEncoding: "" };
  }

  /** A GET through the backend's cache: fresh hits skip the backend; stale entries are revalidated. */
  private async viaCache(
    be: BackendRuntime,
    call: UpstreamCall,
    prior: PriorLookup | null,
    noted: ((hit: boolean) => void) | undefined,
  ): Promise<UpstreamAnswer> {
    const cache = be.cache!;
    const url = call.origin + call.path;
    // Vary names headers of the request the backend got (X-User-Roles from claims, say), not the client's
    const sent = new UpstreamView(call.headers);
    const found = prior !== null && prior.url === url ? prior.found : cache.lookup(url, sent);
    if (found.kind === "hit") {
      this.metrics.cacheHit(be.label);
      noted?.(true);
      return this.fromCache(found.response);
    }
    const res = await answerOf(
      this.upstream,
      found.kind === "stale" ? { ...call, headers: call.headers.with(found.revalidate) } : call,
    );
    // entries hold identity bodies, so the stored headers drop the coding and length (the cache does too)
    const bytes = decodedBody(
      res.body instanceof Uint8Array ? res.body : new Uint8Array(0),
      res.contentEncoding,
      call.maxBytes,
    );
    const body = bytes as Uint8Array<ArrayBuffer>;
    const stored = cache.store(url, sent, { status: res.status, headers: headerRecord(res.headers), body });
    if (res.status === 304 && found.kind === "stale") {
      this.metrics.cacheHit(be.label);
      noted?.(true);
      return this.fromCache(stored ?? found.response);
    }
    noted?.(false);
    const headers: string[] = [];
    for (let i = 0; i < res.headers.length; i += 2) {
      const k = res.headers[i]!;
      if (k !== "content-encoding" && k !== "content-length") headers.push(k, res.headers[i + 1]!);
    }
    return { status: res.status, headers, body, contentEncoding: "" };
  }
}
