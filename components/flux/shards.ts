// Flux split into shards (fluxcd.io/flux/installation/configuration/sharding): per shard a source-,
// kustomize- and helm-controller that only watch objects labelled `sharding.fluxcd.io/key=<shard>`, the
// shard's own sources (a GitRepository for the tenant tree, a HelmRepository for the app chart) and a
// root Kustomization for the shard's folder of the tree; the main controllers are patched to leave
// sharded objects alone. Tenants are not Pulumi resources: the resource count depends on the shard count
// only. What the shard's tenants cost comes in as plain numbers (tenants/plan) and is written on the
// shard's root Kustomization as capacity annotations for the policy pack.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    MAINTENANCE_WINDOW_SECONDS_ANNOTATION,
    MEASURED_CONCURRENCY_ANNOTATION,
    MEASURED_CPU_ANNOTATION,
    PRUNE_ANNOTATION,
    PRUNE_DISABLED,
    RECONCILE_PER_SECOND_ANNOTATION,
    SHARD_HELM_RELEASES_ANNOTATION,
    SHARD_LABEL,
    SHARD_ROLLOUT_SECONDS_ANNOTATION,
    SHARD_TENANTS_ANNOTATION,
} from "../../capacity/labels";
import { measuredRates, rolloutModelOf, shardRolloutSeconds, type ShardLoad } from "../../capacity/rollout";
import { fluxControllerImage, type FluxConfig } from "../../config/flux";
import { repositoryPath, shardChartRepositoryName, shardDirectory, shardTreeName } from "../../tenants/layout";
import { shardName } from "../../tenants/lock";
import { PLATFORM_RECONCILER, type Manifest } from "../../tenants/render";
import { placement } from "../workloads/scheduling";

export type FluxController = "source" | "kustomize" | "helm";
export const FLUX_CONTROLLERS: readonly FluxController[] = ["source", "kustomize", "helm"];

/** Watch selector of a shard's controllers. */
export const shardSelector = (shard: string) => `${SHARD_LABEL}=${shard}`;
/** Watch selector of the main controllers: everything without a shard label. */
export const MAIN_SELECTOR = `!${SHARD_LABEL}`;
/** Multi-tenancy lockdown flags per controller (fluxcd.io/flux/installation/configuration/multitenancy). */
export const LOCKDOWN_FLAGS: Record<FluxController, readonly string[]> = {
    source: [],
    kustomize: ["--no-cross-namespace-refs=true", "--no-remote-bases=true", "--default-service-account=default"],
    helm: ["--no-cross-namespace-refs=true", "--default-service-account=default"],
};
/** --requeue-dependency=5s for controllers with many dependent objects (Flux vertical-scaling docs). */
const REQUEUE_DEPENDENCY = "--requeue-dependency=5s";
// Intervals of the shard's own objects: flux bootstrap's defaults for its GitRepository (1m) and Kustomization (10m).
const SOURCE_INTERVAL = "1m";
const ROOT_INTERVAL = "10m";
const CHART_INTERVAL = "10m";
const ROOT_TIMEOUT = "5m";

const controllerName = (c: FluxController) => `${c}-controller`;
/** Deployment (and, for source-controller, Service) name of a shard's controller. */
export const shardControllerName = (c: FluxController, shard: string) => `${controllerName(c)}-${shard}`;

/** Container args of a Flux controller: Flux's own defaults, the watch selector, lockdown and concurrency. */
export function controllerArgs(c: FluxController, opts: { selector: string; serviceName: string; concurrency?: number }): string[] {
    const args = [
        "--events-addr=http://notification-controller.$(RUNTIME_NAMESPACE).svc.cluster.local./",
        "--watch-all-namespaces=true",
        "--log-level=info",
        "--log-encoding=json",
        "--enable-leader-election",
        `--watch-label-selector=${opts.selector}`,
    ];
    if (c === "source") args.push("--storage-path=/data", `--storage-adv-addr=${opts.serviceName}.$(RUNTIME_NAMESPACE).svc.cluster.local.`);
    args.push(...LOCKDOWN_FLAGS[c]);
    if (opts.concurrency !== undefined) {
        args.push(`--concurrent=${opts.concurrency}`);
        if (c !== "source") args.push(REQUEUE_DEPENDENCY);
    }
    return args;
}

/** The value of `--flag=value` in container args (the policy pack reads --concurrent and selectors this way). */
export function argValue(args: readonly string[], flag: string): string | undefined {
    const hit = args.find((a) => a.startsWith(`${flag}=`));
    return hit?.slice(flag.length + 1);
}

const securityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

// Flux publishes its controller images for amd64, arm64 and arm/v7 (fluxcd/flux2 release notes).
const FLUX_ARCHS = ["amd64", "arm64"] as const;

function shardDeployment(c: FluxController, shard: string, flux: FluxConfig, role: string | undefined): Manifest {
    const name = shardControllerName(c, shard);
    const sizing = flux.controllers[c];
    const rates = measuredRates(flux.reconcile);
    const measured = c === "kustomize" ? rates.kustomize : c === "helm" ? rates.helm : undefined;
    const limits = { cpu: String(sizing.cpu), memory: `${sizing.memoryMiB}Mi` };
    const requests = { cpu: String(sizing.requestCpu), memory: `${sizing.requestMemoryMiB}Mi` };
    const volumes =
        c === "source"
            ? [
                  { name: "data", emptyDir: {} },
                  { name: "tmp", emptyDir: {} },
              ]
            : // kustomize-controller builds in /tmp: on tmpfs it runs --concurrent=20 (Flux vertical-scaling docs).
              [{ name: "temp", emptyDir: c === "kustomize" ? { medium: "Memory" } : {} }];
    const mounts = c === "source" ? [{ name: "data", mountPath: "/data" }, { name: "tmp", mountPath: "/tmp" }] : [{ name: "temp", mountPath: "/tmp" }];
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
            name,
            namespace: flux.namespace,
            labels: { app: name, "app.kubernetes.io/part-of": "flux", "app.kubernetes.io/component": controllerName(c) },
            ...(measured
                ? {
                      annotations: {
                          [RECONCILE_PER_SECOND_ANNOTATION]: String(measured.perSecond),
                          [MEASURED_CONCURRENCY_ANNOTATION]: String(measured.concurrency),
                          [MEASURED_CPU_ANNOTATION]: String(measured.cpu),
                      },
                  }
                : {}),
        },
        spec: {
            replicas: 1,
            // source-controller keeps artifacts on an emptyDir: never two at once (Flux's own manifests).
            ...(c === "source" ? { strategy: { type: "Recreate" } } : {}),
            selector: { matchLabels: { app: name } },
            template: {
                metadata: {
                    labels: { app: name, "app.kubernetes.io/part-of": "flux" },
                    annotations: { "prometheus.io/port": "8080", "prometheus.io/scrape": "true" },
                },
                spec: {
                    serviceAccountName: controllerName(c),
                    priorityClassName: "system-cluster-critical",
                    // On known nodes: the rollout CPU budget (capacity/rolloutCpu) counts their CPU.
                    ...placement(role, FLUX_ARCHS),
                    securityContext: { fsGroup: 1337 },
                    containers: [
                        {
                            name: "manager",
                            image: fluxControllerImage(flux.version, c),
                            imagePullPolicy: "IfNotPresent",
                            args: controllerArgs(c, { selector: shardSelector(shard), serviceName: name, concurrency: sizing.concurrency }),
                            env: [
                                { name: "RUNTIME_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                                { name: "GOMAXPROCS", valueFrom: { resourceFieldRef: { containerName: "manager", resource: "limits.cpu" } } },
                                { name: "GOMEMLIMIT", valueFrom: { resourceFieldRef: { containerName: "manager", resource: "limits.memory" } } },
                            ],
                            ports: [
                                ...(c === "source" ? [{ containerPort: 9090, name: "http", protocol: "TCP" }] : []),
                                { containerPort: 8080, name: "http-prom", protocol: "TCP" },
                                { containerPort: 9440, name: "healthz", protocol: "TCP" },
                            ],
                            livenessProbe: { httpGet: { path: "/healthz", port: "healthz" } },
                            readinessProbe: c === "source" ? { httpGet: { path: "/", port: "http" } } : { httpGet: { path: "/readyz", port: "healthz" } },
                            resources: { requests, limits },
                            securityContext,
                            volumeMounts: mounts,
                        },
                    ],
                    volumes,
                },
            },
        },
    };
}

/** One object FluxShards declares, with the part of its Pulumi name after the component's. */
export interface FluxShardObject {
    part: string;
    manifest: Manifest;
}

/** Every object of the sharded Flux installation, in registration order (pure; tested directly). */
export function fluxShardObjects(args: FluxShardsArgs): FluxShardObject[] {
    const { flux } = args;
    const model = rolloutModelOf(flux);
    const out: FluxShardObject[] = [];
    for (let i = 0; i < flux.shards; i++) {
        const shard = shardName(i);
        const load: ShardLoad = args.shardLoads?.[i] ?? { kustomizations: 0, helmReleases: 0 };
        const label = { [SHARD_LABEL]: shard };
        for (const c of FLUX_CONTROLLERS) out.push({ part: `${shard}-${controllerName(c)}`, manifest: shardDeployment(c, shard, flux, args.role) });
        out.push({
            part: `${shard}-source-controller-service`,
            manifest: {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: shardControllerName("source", shard), namespace: flux.namespace, labels: { "app.kubernetes.io/part-of": "flux" } },
                spec: { type: "ClusterIP", selector: { app: shardControllerName("source", shard) }, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }] },
            },
        });
        const tree = flux.tenantsRepository;
        out.push({
            part: `${shard}-tenants-repository`,
            manifest: {
                apiVersion: "source.toolkit.fluxcd.io/v1",
                kind: "GitRepository",
                metadata: { name: shardTreeName(shard), namespace: flux.namespace, labels: label },
                spec: {
                    interval: SOURCE_INTERVAL,
                    url: tree.url,
                    ref: { branch: tree.branch },
                    ...(tree.secretName ? { secretRef: { name: tree.secretName } } : {}),
                    // Only the tree's folder is fetched when it lives inside a larger repository.
                    ...(tree.path !== "." ? { sparseCheckout: [tree.path] } : {}),
                },
            },
        });
        out.push({
            part: `${shard}-chart-repository`,
            manifest: {
                apiVersion: "source.toolkit.fluxcd.io/v1",
                kind: "HelmRepository",
                metadata: { name: shardChartRepositoryName(flux.appChart.name, shard), namespace: flux.namespace, labels: label },
                spec: { interval: CHART_INTERVAL, url: flux.appChart.repository, ...(flux.appChart.repository.startsWith("oci://") ? { type: "oci" } : {}) },
            },
        });
        out.push({
            part: `${shard}-root`,
            manifest: {
                apiVersion: "kustomize.toolkit.fluxcd.io/v1",
                kind: "Kustomization",
                metadata: {
                    name: shardTreeName(shard),
                    namespace: flux.namespace,
                    labels: label,
                    annotations: {
                        [SHARD_TENANTS_ANNOTATION]: String(load.kustomizations),
                        [SHARD_HELM_RELEASES_ANNOTATION]: String(load.helmReleases),
                        [SHARD_ROLLOUT_SECONDS_ANNOTATION]: String(Math.round(shardRolloutSeconds(load, model) * 10) / 10),
                        [MAINTENANCE_WINDOW_SECONDS_ANNOTATION]: String(args.windowSeconds),
                    },
                },
                spec: {
                    interval: ROOT_INTERVAL,
                    timeout: ROOT_TIMEOUT,
                    path: repositoryPath(tree.path, shardDirectory(shard)),
                    sourceRef: { kind: "GitRepository", name: shardTreeName(shard) },
                    // Every object in a shard folder is a tenant Kustomization marked prune-disabled, so a
                    // tenant that moves away is dropped from this inventory without being deleted. The root
                    // also enforces the mark itself (commonMetadata) and orphans its inventory if Pulumi ever
                    // deletes or replaces it, so a refactor of the tree cannot cascade into tenant data.
                    prune: true,
                    ...(flux.tenantPruneProtection
                        ? { deletionPolicy: "Orphan", commonMetadata: { annotations: { [PRUNE_ANNOTATION]: PRUNE_DISABLED } } }
                        : { deletionPolicy: "MirrorPrune" }),
                    serviceAccountName: PLATFORM_RECONCILER,
                },
            },
        });
    }
    if (args.patchMainControllers ?? true) {
        for (const c of FLUX_CONTROLLERS) {
            const name = controllerName(c);
            out.push({
                part: `main-${name}`,
                manifest: {
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    metadata: { name, namespace: flux.namespace, annotations: { "pulumi.com/patchForce": "true" } },
                    spec: {
                        selector: { matchLabels: { app: name } },
                        template: { spec: { containers: [{ name: "manager", args: controllerArgs(c, { selector: MAIN_SELECTOR, serviceName: name }) }] } },
                    },
                },
            });
        }
    }
    return out;
}

export interface FluxShardsArgs {
    /** The `flux` config section: version, namespace, shard count, controller sizing, repositories, rates. */
    flux: FluxConfig;
    /** Tenant load per shard (index = shard), from the registry and its lock (tenants/plan). Default: empty shards. */
    shardLoads?: readonly ShardLoad[];
    /** The maintenance window every shard's rollout must fit, in seconds (config maintenanceWindow). */
    windowSeconds: number;
    /** Node role the shard controllers run on (capacity/memory placementRole: the general pool). Default: any node not dedicated to a role. */
    role?: string;
    /** Patch the main controllers to ignore sharded objects. Default true. */
    patchMainControllers?: boolean;
}

/** Sharded Flux: per-shard controllers, sources and root Kustomizations, main controllers patched. */
export class FluxShards extends pulumi.ComponentResource {
    /** Shard names, in order: shard-1, shard-2, … */
    readonly shardNames: string[];

    constructor(name: string, args: FluxShardsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:flux:FluxShards", name, {}, opts);
        createFluxShards(name, args, this, opts?.provider as k8s.Provider | undefined);
        this.shardNames = Array.from({ length: args.flux.shards }, (_, i) => shardName(i));
        this.registerOutputs({ shardNames: this.shardNames });
    }
}

/** Registers every object of fluxShardObjects as a child of `parent`. */
export function createFluxShards(name: string, args: FluxShardsArgs, parent: pulumi.Resource, provider?: k8s.Provider): pulumi.CustomResource[] {
    const opts = { parent, provider };
    return fluxShardObjects(args).map(({ part, manifest }) => {
        const id = `${name}-${part}`;
        const m = manifest as any;
        if (part.startsWith("main-")) return new k8s.apps.v1.DeploymentPatch(id, m, opts);
        if (manifest.kind === "Deployment") return new k8s.apps.v1.Deployment(id, m, opts);
        if (manifest.kind === "Service") return new k8s.core.v1.Service(id, m, opts);
        return new k8s.apiextensions.CustomResource(id, m, opts);
    });
}
