// Flux split into shards (fluxcd.io/flux/installation/configuration/sharding): per shard a source-,
// kustomize- and helm-controller that only watch objects labelled `sharding.fluxcd.io/key=<shard>`, the
// shard's own sources (a GitRepository for the tenant tree, a HelmRepository for the app chart) and a
// root Kustomization for the shard's folder of the tree. Tenants are not Pulumi resources: the resource count
// depends on the shard count only. What the shard's tenants cost comes in as plain numbers (tenants/plan) and
// is written on the shard's root Kustomization as capacity annotations for the policy pack. The main
// controllers, which leave sharded objects alone, belong to the installation (install.ts).
import { CONTROLLER_RATE_FACTS, SHARD_FACTS } from "../../contract/facts";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    MAIN_WATCH_SELECTOR,
    PRUNE_ANNOTATION,
    PRUNE_DISABLED,
    SHARD_LABEL,
} from "../../contract/labels";
import { measuredRates, type ShardLoad } from "../../capacity/rollout";
import { fluxControllerImage, type FluxConfig } from "../../config/flux";
import { PLATFORM_RECONCILER, repositoryPath, shardChartRepositoryName, shardDirectory, shardName, shardTreeName, type Manifest } from "../../contract/gitops";
import { placement } from "../workloads/scheduling";

export type FluxController = "source" | "kustomize" | "helm";
export const FLUX_CONTROLLERS: readonly FluxController[] = ["source", "kustomize", "helm"];

/** Watch selector of a shard's controllers. */
export const shardSelector = (shard: string) => `${SHARD_LABEL}=${shard}`;
/** Watch selector of the main controllers: everything without a shard label. */
export const MAIN_SELECTOR = MAIN_WATCH_SELECTOR;
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

export const controllerName = (c: FluxController) => `${c}-controller`;
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

/** How one controller Deployment is sized and what it watches. */
export interface ControllerDeployment {
    /** Deployment name (and the source-controller's Service name). */
    name: string;
    /** --watch-label-selector. */
    selector: string;
    sizing: { cpu: number; memoryMiB: number; requestCpu: number; requestMemoryMiB: number; concurrency?: number };
    /** Annotations of the Deployment (a shard controller's measured reconcile rate). */
    annotations?: Record<string, string>;
    role: string | undefined;
}

/** A Flux controller's Deployment, in the shape of Flux's own manifests (gotk-components). */
export function controllerDeployment(c: FluxController, flux: Pick<FluxConfig, "namespace" | "version">, d: ControllerDeployment): Manifest {
    const name = d.name;
    const sizing = d.sizing;
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
            ...(d.annotations ? { annotations: d.annotations } : {}),
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
                    ...placement(d.role, FLUX_ARCHS),
                    securityContext: { fsGroup: 1337 },
                    containers: [
                        {
                            name: "manager",
                            image: fluxControllerImage(flux.version, c),
                            imagePullPolicy: "IfNotPresent",
                            args: controllerArgs(c, { selector: d.selector, serviceName: name, concurrency: sizing.concurrency }),
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

/** A shard's controller: watches only its shard, sized from config, annotated with the measured rate the rollout model uses. */
function shardDeployment(c: FluxController, shard: string, flux: FluxConfig, role: string | undefined): Manifest {
    const rates = measuredRates(flux.reconcile);
    const measured = c === "kustomize" ? rates.kustomize : c === "helm" ? rates.helm : undefined;
    return controllerDeployment(c, flux, {
        name: shardControllerName(c, shard),
        selector: shardSelector(shard),
        sizing: flux.controllers[c],
        role,
        annotations:
            measured && CONTROLLER_RATE_FACTS.encode({ perSecond: measured.perSecond, measuredConcurrency: measured.concurrency, measuredCpu: measured.cpu, source: flux.reconcile.source }),
    });
}

/** The Service in front of a source-controller's artifact server (the name its --storage-adv-addr gives). */
export function sourceControllerService(name: string, namespace: string): Manifest {
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace, labels: { "app.kubernetes.io/part-of": "flux" } },
        spec: { type: "ClusterIP", selector: { app: name }, ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }] },
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
    const out: FluxShardObject[] = [];
    for (let i = 0; i < flux.shards; i++) {
        const shard = shardName(i);
        const load: ShardLoad = args.shardLoads?.[i] ?? { kustomizations: 0, helmReleases: 0 };
        const label = { [SHARD_LABEL]: shard };
        for (const c of FLUX_CONTROLLERS) out.push({ part: `${shard}-${controllerName(c)}`, manifest: shardDeployment(c, shard, flux, args.role) });
        out.push({ part: `${shard}-source-controller-service`, manifest: sourceControllerService(shardControllerName("source", shard), flux.namespace) });
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
                    annotations: SHARD_FACTS.encode({ tenants: load.kustomizations, helmReleases: load.helmReleases, maintenanceWindowSeconds: args.windowSeconds }),
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
}

/** Sharded Flux: per-shard controllers, sources and root Kustomizations (the installation itself: FluxInstallation). */
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
        if (manifest.kind === "Deployment") return new k8s.apps.v1.Deployment(id, m, opts);
        if (manifest.kind === "Service") return new k8s.core.v1.Service(id, m, opts);
        return new k8s.apiextensions.CustomResource(id, m, opts);
    });
}
