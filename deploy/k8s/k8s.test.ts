// The Kubernetes manifests: every file parses and every object matches the Kubernetes schema of its kind
// (offline, kubernetes-models); kustomize renders the base and the production overlay; and what the
// rendered objects promise: probes, non-root, read-only root, requests and limits, topology spread, a PDB
// and an HPA per Deployment, a migration Job per database service, the _FILE secrets mounted, network
// policies that open only the gateway, NATS with 3 servers and JetStream, PostgreSQL with 3 instances.
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../shared/build/compile.ts";
import { findKubectl, type K8sObject, kustomize, readManifests, validateObject } from "./manifests.ts";

const dir = import.meta.dir;
const ci = Boolean(process.env.CI) && process.env.CI !== "false" && process.env.CI !== "0";
const kubectl = findKubectl(ROOT);
const dbServices = ["auth", "users", "catalog", "orders", "notifier"];
const services = [...dbServices, "gateway"];
/** Who calls whom, read from the code: the gateway every service; orders catalog; all but auth auth's JWKS. */
const calls: Record<string, string[]> = {
  auth: [],
  users: ["auth"],
  catalog: ["auth"],
  orders: ["auth", "catalog"],
  notifier: ["auth"],
  gateway: dbServices,
};

if (!kubectl && !ci) {
  console.warn(
    "deploy/k8s: kubectl is not installed, so the kustomize renders are skipped here (CI installs it and fails without it): " +
      "apt-get install kubectl, or KUBECTL=/path/to/kubectl",
  );
}

const of = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const named = (objs: K8sObject[], kind: string, name: string) => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

describe("the manifest files", () => {
  test("every object in the base and in postgres/ matches the Kubernetes schema of its kind", () => {
    const files = readdirSync(join(dir, "base")).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    const objects = files.flatMap((f) => readManifests(join(dir, "base", f)));
    expect(objects.length).toBeGreaterThan(30);
    for (const obj of objects) validateObject(obj);
    for (const obj of readManifests(join(dir, "postgres", "cluster.yaml"))) {
      if (obj.kind !== "Cluster") validateObject(obj);
    }
  });

  test("the schema check catches a wrong type and a missing required field (it can fail)", () => {
    const deployment = readManifests(join(dir, "base", "catalog.yaml")).find((o) => o.kind === "Deployment")!;
    const wrongType = structuredClone(deployment);
    wrongType.spec.replicas = "three";
    expect(() => validateObject(wrongType)).toThrow("Deployment catalog: data/spec/replicas must be integer");
    const noName = structuredClone(deployment);
    delete noName.spec.template.spec.containers[0].name;
    expect(() => validateObject(noName)).toThrow("must have required property");
  });

  test("the CloudNativePG Cluster has what its CRD requires and 3 instances (checked by hand: no schema on npm)", () => {
    const cluster = readManifests(join(dir, "postgres", "cluster.yaml")).find((o) => o.kind === "Cluster")!;
    expect(cluster.apiVersion).toBe("postgresql.cnpg.io/v1");
    expect(cluster.metadata).toMatchObject({ name: "shop-pg", namespace: "shop-data" });
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.storage.size).toMatch(/^\d+Gi$/);
    expect(cluster.spec.bootstrap.initdb).toMatchObject({ database: "shop" });
    expect(cluster.spec.postgresql.parameters.wal_level).toBe("logical");
  });

  test("the NATS chart values ask for 3 clustered servers with JetStream on disk (checked by hand)", () => {
    const values = parse(readFileSync(join(dir, "nats", "values.yaml"), "utf8"));
    expect(values.config.cluster).toEqual({ enabled: true, replicas: 3 });
    expect(values.config.jetstream.enabled).toBe(true);
    expect(values.config.jetstream.fileStore).toMatchObject({ enabled: true, pvc: { enabled: true } });
    expect(values.podDisruptionBudget.enabled).toBe(true);
  });

  test("the gateway config in the base is services/gateway/gateway.json, unchanged", () => {
    const copy = readFileSync(join(dir, "base", "gateway.json"), "utf8");
    const source = readFileSync(join(ROOT, "services", "gateway", "gateway.json"), "utf8");
    expect(copy === source, "cp services/gateway/gateway.json deploy/k8s/base/gateway.json").toBe(true);
  });
});

describe.skipIf(!kubectl && !ci)("kustomize renders", () => {
  let base: K8sObject[];
  let production: K8sObject[];

  beforeAll(() => {
    if (!kubectl) throw new Error("kubectl is missing: .ci/run installs it (apt package kubectl, or from npm)");
    base = kustomize(kubectl, join(dir, "base"));
    production = kustomize(kubectl, join(dir, "overlays", "production"));
  });

  test("the base and the production overlay, every object matching its schema", () => {
    for (const objs of [base, production]) {
      expect(objs.length).toBeGreaterThan(30);
      for (const obj of objs) validateObject(obj);
    }
    expect(production.every((o) => o.kind === "Namespace" || o.metadata.namespace === "shop")).toBe(true);
    expect(named(production, "Namespace", "shop")).toBeDefined();
  });

  test.each(services)(
    "the %s Deployment has probes, runs non-root on a read-only root, with requests and limits",
    (svc) => {
      for (const objs of [base, production]) {
        const pod = named(objs, "Deployment", svc).spec.template.spec;
        const [c] = pod.containers;
        const [health, ready] = svc === "gateway" ? ["/__health", "/__health"] : ["/healthz", "/readyz"];
        expect(c.livenessProbe.httpGet.path).toBe(health);
        expect(c.startupProbe.httpGet.path).toBe(health);
        expect(c.readinessProbe.httpGet.path).toBe(ready);
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
        expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
        expect(c.resources.limits.memory).toBeDefined();
        expect(pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey)).toEqual([
          "topology.kubernetes.io/zone",
          "kubernetes.io/hostname",
        ]);
        expect(pod.automountServiceAccountToken).toBe(false);
      }
    },
  );

  test.each(services)("%s has a Service, a PodDisruptionBudget and a CPU HPA", (svc) => {
    expect(named(production, "Service", svc).spec.ports[0]).toMatchObject({ name: "http", port: 8080 });
    expect(named(production, "PodDisruptionBudget", svc).spec.minAvailable).toBe(2);
    const hpa = named(production, "HorizontalPodAutoscaler", svc).spec;
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: svc });
    expect(hpa.metrics[0].resource.name).toBe("cpu");
    expect(hpa.minReplicas).toBe(3);
    expect(named(production, "Deployment", svc).spec.replicas).toBe(3);
    expect(named(production, "Deployment", svc).spec.template.spec.containers[0].image).toBe(
      `registry.example.com/shop/${svc}:1.0.0`,
    );
  });

  test.each(dbServices)("%s migrates in a Job as the owner role and serves as the app role", (svc) => {
    const job = named(production, "Job", `${svc}-migrate`).spec.template.spec;
    const [migrate] = job.containers;
    expect(migrate.args).toEqual(["migrate", "up"]);
    expect(migrate.env).toContainEqual({ name: "DATABASE_URL_FILE", value: "/var/run/secrets/shop/db/owner-url" });
    expect(job.initContainers[0].args.slice(0, 2)).toEqual(["db", "grant"]);
    const serve = named(production, "Deployment", svc).spec.template.spec.containers[0];
    expect(serve.args).toEqual(["serve"]);
    expect(serve.env).toContainEqual({ name: "DATABASE_URL_FILE", value: "/var/run/secrets/shop/db/app-url" });
    expect(serve.env).toContainEqual({ name: "MIGRATE_ON_START", value: "false" });
    expect(serve.env).toContainEqual({ name: "NATS_STREAM_REPLICAS", value: "3" });
    const natsUrl = serve.env.find((e: { name: string }) => e.name === "NATS_URL").value as string;
    expect(natsUrl.split(",")).toHaveLength(3);
  });

  test("every _FILE variable points into a mounted Secret that has that key", () => {
    const pods = [...of(production, "Deployment"), ...of(production, "Job")].map((o) => o.spec.template.spec);
    let checked = 0;
    for (const pod of pods) {
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const e of c.env.filter((e: { name: string }) => e.name.endsWith("_FILE"))) {
          const mount = c.volumeMounts.find((m: { mountPath: string }) => e.value.startsWith(`${m.mountPath}/`));
          expect(mount, `${c.name}: ${e.name}=${e.value} is not under a mount`).toBeDefined();
          const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
          const key = e.value.slice(mount.mountPath.length + 1);
          expect(
            volume.secret.items.map((i: { key: string }) => i.key),
            `${c.name}: ${e.name}`,
          ).toContain(key);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(dbServices.length * 3 + 1);
  });

  test("the gateway mounts its config from the generated ConfigMap, named by a hash of its content", () => {
    const map = of(production, "ConfigMap").find((m) => m.metadata.name.startsWith("gateway-config-"))!;
    expect(map.metadata.name).toMatch(/^gateway-config-[a-z0-9]{10}$/);
    expect(JSON.parse(map.data!["gateway.json"]!)).toEqual(
      JSON.parse(readFileSync(join(ROOT, "services", "gateway", "gateway.json"), "utf8")),
    );
    const pod = named(production, "Deployment", "gateway").spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "config", configMap: { name: map.metadata.name } });
  });

  test("network policies deny by default and let only the gateway take traffic from anywhere", () => {
    const policies = of(production, "NetworkPolicy");
    expect(named(production, "NetworkPolicy", "default-deny").spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
    const dns = named(production, "NetworkPolicy", "allow-dns").spec;
    expect(dns.podSelector).toEqual({});
    expect(dns.egress[0].ports).toEqual([
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
    const open = policies.filter((p) =>
      (p.spec.ingress ?? []).some((rule: { from?: unknown[] }) => !rule.from || rule.from.length === 0),
    );
    expect(open.map((p) => p.metadata.name)).toEqual(["gateway"]);
  });

  test.each(services)("%s reaches only PostgreSQL, NATS and the services it calls", (svc) => {
    const policy = named(production, "NetworkPolicy", svc).spec;
    const reached = new Set<string>();
    for (const rule of policy.egress) {
      for (const to of rule.to) {
        const labels = to.podSelector?.matchLabels ?? {};
        if (labels["cnpg.io/cluster"] === "shop-pg") reached.add("postgres");
        else if (labels["app.kubernetes.io/name"] === "nats" && to.namespaceSelector) reached.add("nats");
        else if (labels["app.kubernetes.io/name"]) reached.add(labels["app.kubernetes.io/name"]);
        else throw new Error(`${svc}: an egress rule to something unnamed: ${JSON.stringify(to)}`);
      }
    }
    const expected = [...(svc === "gateway" ? [] : ["postgres"]), "nats", ...calls[svc]!];
    expect([...reached].sort()).toEqual(expected.sort());
  });
});
