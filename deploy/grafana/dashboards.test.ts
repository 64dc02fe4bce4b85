// The provisioned dashboards read metrics the code registers: a renamed metric fails here, not on a blank panel.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");
const dashboards = join(import.meta.dir, "dashboards");

/** Every source file of the kit and the gateway, where metrics are registered by name. */
function sources(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      text += readFileSync(join(entry.parentPath, entry.name), "utf8");
    }
  }
  return text;
}

/** The metric names a PromQL expression reads (histogram series named by their base metric). */
function metricsOf(expr: string): string[] {
  // label lists of `by (...)` are not metrics
  const names = expr.replace(/by \([^)]*\)/g, "").match(/[a-z_]+(?=[{[)])/g) ?? [];
  return names.map((n) => n.replace(/_(bucket|count|sum)$/, ""));
}

describe("grafana dashboards", () => {
  const registered = sources(join(root, "shared")) + sources(join(root, "services", "gateway", "src"));
  for (const file of readdirSync(dashboards).filter((f) => f.endsWith(".json"))) {
    test(`${file} queries only metrics the services register`, () => {
      const dashboard = JSON.parse(readFileSync(join(dashboards, file), "utf8"));
      const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
        p.targets.map((t) => t.expr),
      );
      const names = [...new Set(exprs.flatMap(metricsOf))];
      expect(names).toContain("endpoint_request_duration_seconds");
      for (const name of names)
        expect({ name, registered: registered.includes(`"${name}"`) }).toEqual({ name, registered: true });
    });
  }
});
