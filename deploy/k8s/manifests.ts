// Test helpers for the Kubernetes manifests: find kubectl, render a kustomization, and validate each object
// against the Kubernetes schema of its kind (kubernetes-models, offline).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { parseAllDocuments } from "yaml";

/** A Kubernetes object as rendered (only the fields every object has are typed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field by the tests
  spec?: any;
  data?: Record<string, string>;
}

/** The kinds the manifests use, each with its schema-checking model (`validate()` throws on a mismatch). */
const models: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
};

/**
 * Checks one object against the schema of its kind; throws naming the object and the first mismatch.
 * A kind with no model (a custom resource) is an error here: those are checked by hand.
 */
export function validateObject(obj: K8sObject): void {
  const Model = models[`${obj.apiVersion}/${obj.kind}`];
  const name = `${obj.kind} ${obj.metadata?.name}`;
  if (!Model) throw new Error(`${name}: no schema for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(obj as never).validate();
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : err}`);
  }
}

/** Parses a multi-document YAML text; a syntax error in any document throws. */
export function parseManifests(text: string): K8sObject[] {
  const docs = parseAllDocuments(text);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  return objects;
}

/** kubectl (with its built-in kustomize): `$KUBECTL`, the PATH, or the copy `.ci/run` installs from npm. */
export function findKubectl(root: string): string | null {
  const candidates = [process.env.KUBECTL, Bun.which("kubectl"), join(root, ".tools", "kubectl", "kubectl")];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

/** Renders a kustomization with `kubectl kustomize` and parses the result. */
export function kustomize(kubectl: string, dir: string): K8sObject[] {
  const r = Bun.spawnSync([kubectl, "kustomize", dir], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr.toString()}`);
  return parseManifests(r.stdout.toString());
}

/** The objects of one YAML file. */
export function readManifests(path: string): K8sObject[] {
  return parseManifests(readFileSync(path, "utf8"));
}
