// The gateway endpoints the proxy benchmarks serve (run.ts and ab.ts): a no-op pass-through, a merge of two
// decoding backends, a cached pass-through, and, with a validator, the pass-through behind JWT validation.
export function benchEndpoints(host: string[], validator?: Record<string, unknown>): Record<string, unknown>[] {
  return [
    { endpoint: "/plain", output_encoding: "no-op", backend: [{ host, url_pattern: "/json", encoding: "no-op" }] },
    ...(validator
      ? [
          {
            endpoint: "/jwt",
            output_encoding: "no-op",
            extra_config: { "auth/validator": validator },
            backend: [{ host, url_pattern: "/json", encoding: "no-op" }],
          },
        ]
      : []),
    { endpoint: "/merge1", backend: [{ host, url_pattern: "/profile" }] },
    {
      endpoint: "/merge",
      backend: [
        { host, url_pattern: "/profile" },
        { host, url_pattern: "/orders" },
      ],
    },
    {
      endpoint: "/cached",
      output_encoding: "no-op",
      backend: [{ host, url_pattern: "/cached", encoding: "no-op", extra_config: { "qos/http-cache": {} } }],
    },
  ];
}
