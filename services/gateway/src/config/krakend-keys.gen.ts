// Regenerates `krakend-keys.json`, the keys KrakenD's JSON schema knows per level, from a checkout of
// https://github.com/krakend/krakend-schema (published at https://www.krakend.io/schema/<version>/krakend.json).
//   bun services/gateway/src/config/krakend-keys.gen.ts PATH/TO/krakend-schema v2.12
// Only property names are read: the service object (`_root.json`), `endpoint.json`, `backend.json`, and the
// namespace names of `{service,endpoint,backend}_extra_config.json`.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The keys KrakenD knows, as `krakend-keys.json` stores them. */
export interface KrakendKeys {
  source: string;
  version: string;
  service: string[];
  endpoint: string[];
  backend: string[];
  namespaces: { service: string[]; endpoint: string[]; backend: string[] };
}

/** The property names of one schema document, sorted. */
export function propertyNames(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | null)?.properties;
  if (props === undefined || props === null || typeof props !== "object") {
    throw new Error("schema document without properties");
  }
  return Object.keys(props).sort();
}

/** The keys of one schema version, read by `read(file)` (a path inside the version's folder). */
export function extractKeys(version: string, read: (file: string) => unknown): KrakendKeys {
  return {
    source: `KrakenD JSON schema ${version}: https://www.krakend.io/schema/${version}/krakend.json, from the krakend/krakend-schema repository (${version}/_root.json, endpoint.json, backend.json, service_extra_config.json, endpoint_extra_config.json, backend_extra_config.json)`,
    version,
    service: propertyNames(read("_root.json")),
    endpoint: propertyNames(read("endpoint.json")),
    backend: propertyNames(read("backend.json")),
    namespaces: {
      service: propertyNames(read("service_extra_config.json")),
      endpoint: propertyNames(read("endpoint_extra_config.json")),
      backend: propertyNames(read("backend_extra_config.json")),
    },
  };
}

if (import.meta.main) {
  const [dir, version] = process.argv.slice(2);
  if (!dir || !version) {
    console.error("usage: krakend-keys.gen.ts PATH/TO/krakend-schema VERSION (e.g. v2.12)");
    process.exit(2);
  }
  const keys = extractKeys(version, (file) => JSON.parse(readFileSync(join(dir, version, file), "utf8")));
  writeFileSync(join(import.meta.dir, "krakend-keys.json"), `${JSON.stringify(keys, null, 2)}\n`);
}
