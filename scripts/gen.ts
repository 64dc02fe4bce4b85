#!/usr/bin/env bun
// `bun run gen [svc...] [-- drizzle-kit args]`: regenerates the committed generated files:
// openapi/<svc>.json from each service's `openapi` subcommand, openapi/asyncapi.json from the event
// contracts (always, whatever services are named), and new drizzle/<svc>/ migrations from
// its schema (`bun run gen users -- --name add_nickname` names the migration), and proto/shop/<svc>/v1/
// (the gRPC protos and their field-number lockfiles) from each service's contracts. Commit the result.
import { relative } from "node:path";
import { ROOT } from "../shared/build/compile.ts";
import { servicesWithEntry, servicesWithSchema, writeAsyncapi, writeMigrations, writeOpenapi } from "./drift.ts";
import { servicesWithContracts, writeProto } from "./protos.ts";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const names = dash >= 0 ? argv.slice(0, dash) : argv;
const kitArgs = dash >= 0 ? argv.slice(dash + 1) : [];
const pick = (all: string[]) => (names.length === 0 ? all : all.filter((s) => names.includes(s)));

let failed = false;
console.log(`gen: wrote ${relative(ROOT, writeAsyncapi())}`);
for (const service of pick(servicesWithEntry())) {
  try {
    console.log(`gen: wrote ${relative(ROOT, writeOpenapi({ service }))}`);
  } catch (err) {
    failed = true;
    console.error(`gen: openapi for ${service} failed: ${err instanceof Error ? err.message : err}`);
  }
}
for (const service of pick(servicesWithContracts())) {
  try {
    console.log(`gen: wrote ${relative(ROOT, await writeProto({ service }))}`);
  } catch (err) {
    failed = true;
    console.error(`gen: proto for ${service} failed: ${err instanceof Error ? err.message : err}`);
  }
}
for (const service of pick(servicesWithSchema())) {
  const r = writeMigrations({ service }, kitArgs);
  console.log(`gen: drizzle/${service}/ ${r.ok ? "up to date" : "FAILED"}`);
  if (!r.ok || process.env.VERBOSE) console.log(r.output.trim());
  failed ||= !r.ok;
}
process.exit(failed ? 1 : 0);
