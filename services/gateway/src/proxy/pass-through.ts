// The client's answer to a pass-through endpoint (`output_encoding: "no-op"`): the backend's own status,
// headers and body, minus what belongs to the hop between the backend and the gateway.
import type { Answer } from "../transport/transport.ts";
import { hopByHopResponse } from "./backend.ts";
import type { EndpointRuntime } from "./endpoint.types.ts";
import { connectionOptions } from "./forward.ts";
import type { UpstreamAnswer } from "./upstream.ts";

/** The client's answer to a pass-through call: the backend's status, headers (minus hop-by-hop) and body. */
export function passThroughAnswer(ep: EndpointRuntime, answer: UpstreamAnswer, requestId: string): Answer {
  const headers: string[] = [];
  const pairs = answer.headers;
  // the server sets the length of a body itself; HEAD answers keep the backend's
  const keepLength = answer.body === null;
  let cacheControl = false;
  // headers the backend's Connection header names are for the hop between it and us (RFC 9110 7.6.1)
  let nominated: Set<string> | null = null;
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === "connection") nominated = connectionOptions(pairs[i + 1]);
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    if (hopByHopResponse.has(name) || name === "x-request-id" || (name === "content-length" && !keepLength)) continue;
    if (nominated?.has(name)) continue;
    if (name === "cache-control") cacheControl = true;
    headers.push(name, pairs[i + 1]!);
  }
  // the backend's headers hold no line breaks (see UpstreamAnswer); what follows is checked by the server
  const checked = headers.length >> 1;
  headers.push("x-request-id", requestId);
  if (ep.cacheControl && answer.status === 200 && !cacheControl) headers.push("cache-control", ep.cacheControl);
  return { status: answer.status, headers, body: answer.body, checked };
}
