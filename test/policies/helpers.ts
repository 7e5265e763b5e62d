// Building resources for rule tests: real-shaped Kubernetes objects wrapped the way rules see them, and
// shipped stacks run under mocks (the harness) turned into the same view; what a check rejecting a replay shows.
import { runStack, type StackRun } from "../harness";
import type { CheckResult } from "../../cli/commands/check";
import type { RunStackOptions } from "../../stacks/offline";
import type { PolicyResource } from "../../policies/framework";
import { policyResources } from "../../stacks/resources";

/** A resource as the engine would send it for `type` (e.g. kubernetes:apps/v1:Deployment) and logical name. */
export function resource(type: string, name: string, props: Record<string, any>, opts: Partial<PolicyResource> = {}): PolicyResource {
    return { urn: `urn:pulumi:test::media-platform::${type}::${name}`, type, name, props, protect: false, dependencies: [], ...opts };
}

/** A Kubernetes object of a kind, from its manifest (apiVersion picks the type token). */
export function k8s(manifest: { apiVersion: string; kind: string; metadata: Record<string, any>; [k: string]: any }, opts: Partial<PolicyResource> = {}): PolicyResource {
    const group = manifest.apiVersion.includes("/") ? manifest.apiVersion : `core/${manifest.apiVersion}`;
    return resource(`kubernetes:${group}:${manifest.kind}`, opts.name ?? manifest.metadata.name, manifest, opts);
}

/** A Deployment running the given containers with the given pod template labels. */
export function deployment(name: string, spec: { replicas?: number; labels?: Record<string, string>; containers: any[]; pod?: Record<string, any>; annotations?: Record<string, string> }, namespace = "media-app") {
    const labels = spec.labels ?? { "app.kubernetes.io/name": name };
    return k8s({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace, labels },
        spec: {
            replicas: spec.replicas ?? 1,
            selector: { matchLabels: labels },
            template: { metadata: { labels, annotations: spec.annotations }, spec: { containers: spec.containers, ...(spec.pod ?? {}) } },
        },
    });
}

export const withProbes = (c: Record<string, any>) => ({
    ...c,
    readinessProbe: { httpGet: { path: "/health", port: 3000 } },
    livenessProbe: { httpGet: { path: "/health", port: 3000 } },
});

/**
 * A stack run under mocks (preview-like) with its resources as rules see them: their inputs, what Analyze
 * receives (AnalyzeStack's outputs add only the mocks' computed fields; `check` sends both as the engine does).
 */
export async function stackResources(stackOrFile: string, opts: RunStackOptions = {}): Promise<{ run: StackRun; resources: PolicyResource[] }> {
    const run = await runStack(stackOrFile, { preview: true, ...opts });
    return { run, resources: policyResources(run.resources) };
}

/** The resource with this logical name (throws when absent). */
export function named(resources: PolicyResource[], name: string): PolicyResource {
    const r = resources.find((x) => x.name === name);
    if (!r) throw new Error(`no resource named ${name}; have ${resources.map((x) => x.name).join(", ")}`);
    return r;
}

/** The check failed on each of `rules`, mandatory, naming a resource. */
export function expectRejectedBy(result: CheckResult, rules: string[]): void {
    for (const rule of rules) {
        expect(result.violations).toContainEqual(expect.objectContaining({ policyName: rule, enforcementLevel: "mandatory", resource: expect.anything() }));
    }
    expect(result.mandatory).toBeGreaterThan(0);
}
