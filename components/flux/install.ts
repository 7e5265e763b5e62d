// The Flux installation the platform shards, owned by the stack: its namespace, CRDs (schemas/crds), service
// accounts, RBAC, the quota that admits its critical-priority pods, and the main source-, kustomize- and
// helm-controller, started with the watch selector that leaves sharded objects to the shard controllers.
// Owned, not patched: a bootstrapped Flux re-applies its own controller manifests on every reconcile and
// would drop a selector patched in from outside (container args are one atomic list under server-side apply).
// So a cluster needs nothing before `up`, and must not also be bootstrapped with `flux bootstrap`.
// Shapes and rules follow Flux's own install (fluxcd/flux2 manifests/install, manifests/rbac at v2.9.4).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { FluxConfig } from "../../config/flux";
import type { Manifest } from "../../contract/gitops";
import { installCrds } from "../crds";
import { controllerDeployment, controllerName, FLUX_CONTROLLERS, MAIN_SELECTOR, sourceControllerService, type FluxController } from "./shards";

// The main controllers reconcile the platform's own Flux objects (operator charts and their sources), a
// handful: Flux's own sizing (controller manifests at v2.9.4: limits 1 CPU / 1 GiB, requests 50m or 100m / 64 MiB).
const MAIN_SIZING: Record<FluxController, { cpu: number; memoryMiB: number; requestCpu: number; requestMemoryMiB: number }> = {
    source: { cpu: 1, memoryMiB: 1024, requestCpu: 0.05, requestMemoryMiB: 64 },
    kustomize: { cpu: 1, memoryMiB: 1024, requestCpu: 0.1, requestMemoryMiB: 64 },
    helm: { cpu: 1, memoryMiB: 1024, requestCpu: 0.1, requestMemoryMiB: 64 },
};


/** One object of the installation, with the part of its Pulumi name after the component's. */
export interface FluxInstallObject {
    part: string;
    manifest: Manifest;
}

/** Every object of the installation but the CRDs, in registration order (pure; tested directly). */
export function fluxInstallObjects(flux: Pick<FluxConfig, "namespace" | "version">, role: string | undefined): FluxInstallObject[] {
    const ns = flux.namespace;
    // Flux's own labels: the instance is its namespace.
    const PART_OF = { "app.kubernetes.io/part-of": "flux", "app.kubernetes.io/instance": ns };
    const accounts = FLUX_CONTROLLERS.map(controllerName);
    const out: FluxInstallObject[] = [
        {
            part: "namespace",
            manifest: {
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name: ns, labels: { ...PART_OF, "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest" } },
            },
        },
        // Pods of the system-cluster-critical class are admitted outside kube-system only under a quota that names it.
        {
            part: "critical-pods",
            manifest: {
                apiVersion: "v1",
                kind: "ResourceQuota",
                metadata: { name: `critical-pods-${ns}`, namespace: ns, labels: PART_OF },
                spec: {
                    hard: { pods: "1000" },
                    scopeSelector: { matchExpressions: [{ operator: "In", scopeName: "PriorityClass", values: ["system-node-critical", "system-cluster-critical"] }] },
                },
            },
        },
        ...accounts.map((name) => ({
            part: `${name}-account`,
            manifest: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, labels: PART_OF } },
        })),
        {
            part: "crd-controller-role",
            manifest: {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRole",
                metadata: { name: `crd-controller-${ns}`, labels: PART_OF },
                rules: [
                    ...["source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io"].map((g) => ({ apiGroups: [g], resources: ["*"], verbs: ["*"] })),
                    { apiGroups: [""], resources: ["namespaces", "secrets", "configmaps", "serviceaccounts"], verbs: ["get", "list", "watch"] },
                    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
                    // leader election
                    { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
                    { apiGroups: [""], resources: ["configmaps/status"], verbs: ["get", "update", "patch"] },
                    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
                    // object-level workload identity
                    { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] },
                    // API priority and fairness
                    { nonResourceURLs: ["/livez/ping"], verbs: ["head"] },
                ],
            },
        },
        {
            part: "crd-controller-binding",
            manifest: {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRoleBinding",
                metadata: { name: `crd-controller-${ns}`, labels: PART_OF },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `crd-controller-${ns}` },
                subjects: accounts.map((name) => ({ kind: "ServiceAccount", name, namespace: ns })),
            },
        },
        // kustomize- and helm-controller apply what the platform's and tenants' objects hold; the tenants'
        // lockdown (--default-service-account) makes them impersonate the tenant's account instead.
        {
            part: "cluster-reconciler-binding",
            manifest: {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRoleBinding",
                metadata: { name: `cluster-reconciler-${ns}`, labels: PART_OF },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
                subjects: ["kustomize-controller", "helm-controller"].map((name) => ({ kind: "ServiceAccount", name, namespace: ns })),
            },
        },
    ];
    for (const c of FLUX_CONTROLLERS) {
        const name = controllerName(c);
        out.push({ part: name, manifest: controllerDeployment(c, flux, { name, selector: MAIN_SELECTOR, sizing: MAIN_SIZING[c], role }) });
    }
    out.push({ part: "source-controller-service", manifest: sourceControllerService(controllerName("source"), ns) });
    return out;
}

export interface FluxInstallationArgs {
    /** The `flux` config section (version, namespace). */
    flux: Pick<FluxConfig, "namespace" | "version">;
    /** Node role the main controllers run on (the general pool). Default: any node not dedicated to a role. */
    role?: string;
    /** Kubernetes provider. */
    provider: k8s.Provider;
}

/** Flux itself: namespace, CRDs, RBAC and the main controllers. Flux objects of other components wait for `ready`. */
export class FluxInstallation extends pulumi.ComponentResource {
    /** The namespace and CRDs: what a Flux object needs before it can be created. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: FluxInstallationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:flux:FluxInstallation", name, {}, opts);
        this.ready = createFluxInstallation(name, args, this);
        this.registerOutputs({ namespace: args.flux.namespace });
    }
}

export function createFluxInstallation(name: string, args: FluxInstallationArgs, parent: pulumi.Resource): pulumi.Resource[] {
    const opts = { parent, provider: args.provider };
    const crds = installCrds(name, "flux", parent, args.provider);
    let namespace: k8s.core.v1.Namespace | undefined;
    for (const { part, manifest } of fluxInstallObjects(args.flux, args.role)) {
        const id = `${name}-${part}`;
        const m = manifest as any;
        const after = { ...opts, dependsOn: namespace ? [namespace] : [] };
        switch (manifest.kind) {
            case "Namespace":
                // Deleting it would delete every Flux object of the platform and of its tenants.
                namespace = new k8s.core.v1.Namespace(id, m, { ...opts, protect: true });
                break;
            case "ResourceQuota":
                new k8s.core.v1.ResourceQuota(id, m, after);
                break;
            case "ServiceAccount":
                new k8s.core.v1.ServiceAccount(id, m, after);
                break;
            case "ClusterRole":
                new k8s.rbac.v1.ClusterRole(id, m, opts);
                break;
            case "ClusterRoleBinding":
                new k8s.rbac.v1.ClusterRoleBinding(id, m, opts);
                break;
            case "Deployment":
                new k8s.apps.v1.Deployment(id, m, { ...after, dependsOn: [...after.dependsOn, ...crds] });
                break;
            case "Service":
                new k8s.core.v1.Service(id, m, after);
                break;
            default:
                throw new Error(`FluxInstallation: no resource type for ${manifest.kind}`);
        }
    }
    return [namespace!, ...crds];
}
