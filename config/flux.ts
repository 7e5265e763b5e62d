// Flux GitOps split into shards, each with its own source-, kustomize- and helm-controller.
import { z } from "zod";
import { BENCHMARK_RATES, creditsMoreThan, measuredRates } from "../capacity/rollout";
import { DEFAULT_FLUX_NAMESPACE, MAX_SHARDS } from "../contract/gitops";
import { bool, dnsLabel, expecting, fraction, int, MAX_NODE_CPU, MAX_NODE_MEMORY_GIB, num, str, url } from "./fields";

/**
 * Controller versions of each Flux distribution the platform knows; image tags follow from `flux.version`.
 * Source: fluxcd/flux2 `manifests/bases/*` at the release tag. Add a line to support another release.
 */
export const FLUX_DISTRIBUTIONS = {
    // fluxcd/flux2 v2.9.4: source-controller v1.9.4, kustomize-controller v1.9.4, helm-controller v1.6.3
    "v2.9.4": { source: "v1.9.4", kustomize: "v1.9.4", helm: "v1.6.3" },
} as const satisfies Record<string, { source: string; kustomize: string; helm: string }>;
export type FluxVersion = keyof typeof FLUX_DISTRIBUTIONS;
const VERSIONS = Object.keys(FLUX_DISTRIBUTIONS) as [FluxVersion, ...FluxVersion[]];

// Requests default to Flux's own manifests (gotk-components: 50m/64Mi for source-, 100m/64Mi for kustomize-
// and helm-controller): shard controllers idle most of the day and burst to their limits in the rollout.
const controller = (concurrency: number, cpu: number, memoryMiB: number, requestCpu: number) =>
    z
        .strictObject({
            /** --concurrent. */
            concurrency: int({ min: 1, max: 100 }).default(concurrency),
            /** CPU limit in cores: what the rollout model counts on in the maintenance window (capacity/rolloutCpu checks the nodes have it). */
            cpu: num({ gt: 0, max: MAX_NODE_CPU }).default(cpu),
            /** Memory limit in MiB (the kustomize-controller's tmpfs /tmp counts against it). */
            memoryMiB: int({ min: 64, max: MAX_NODE_MEMORY_GIB * 1024 }).default(memoryMiB),
            /** CPU request in cores (scheduling). */
            requestCpu: num({ gt: 0, max: MAX_NODE_CPU }).default(requestCpu),
            /** Memory request in MiB (scheduling). Default 64 (Flux's manifests). */
            requestMemoryMiB: int({ min: 16, max: MAX_NODE_MEMORY_GIB * 1024 }).default(64),
        })
        .superRefine((c, ctx) => {
            if (c.requestCpu > c.cpu) ctx.addIssue({ code: "custom", path: ["requestCpu"], input: c.requestCpu, message: `expected at most the CPU limit (${c.cpu})` });
            if (c.requestMemoryMiB > c.memoryMiB) ctx.addIssue({ code: "custom", path: ["requestMemoryMiB"], input: c.requestMemoryMiB, message: `expected at most the memory limit (${c.memoryMiB} MiB)` });
        })
        .prefault({});

export const fluxSchema = z.strictObject({
    /** Flux distribution version; every controller image tag follows from it. Default v2.9.4. */
    version: expecting(z.enum(VERSIONS), `a Flux version this platform knows: ${VERSIONS.join(", ")}`).default("v2.9.4"),
    /** Namespace Flux was bootstrapped into. Default flux-system. */
    namespace: dnsLabel().default(DEFAULT_FLUX_NAMESPACE),
    /** Number of shards. */
    shards: int({ min: 1, max: MAX_SHARDS }),
    /** Per-shard controllers (defaults: Flux vertical-scaling docs and flux-benchmark). */
    controllers: z
        .strictObject({
            // project choice: source-controller's own default is --concurrent=2, and a shard serves only two sources
            source: controller(4, 1, 512, 0.05),
            // kustomize-controller --concurrent=20 with tmpfs /tmp (flux-benchmark, ElfHosted)
            kustomize: controller(20, 2, 2048, 0.1),
            // helm-controller --concurrent=10: no gain above (flux-benchmark RESULTS.md)
            helm: controller(10, 2, 2048, 0.1),
        })
        .prefault({}),
    /** Git repository holding the rendered tenant tree. */
    tenantsRepository: z.strictObject({
        url: url(),
        branch: str({ min: 1 }).default("main"),
        /** Folder of the tenant tree inside that repository (e.g. gitops/dev). Default: the repository root. */
        path: expecting(z.string().regex(/^(\.|[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)$/).refine((p) => !p.split("/").includes("..")), 'a folder inside the repository such as "gitops/dev", or "."').default("."),
        /** Secret in the Flux namespace with the repository's credentials (an SSH deploy key). Default: none (public HTTPS). */
        secretName: dnsLabel().optional(),
    }),
    /** The app chart every tenant's HelmRelease installs. */
    appChart: z.strictObject({
        /** Helm repository URL (https:// or oci://). */
        repository: url(),
        name: dnsLabel(),
        version: expecting(z.string().regex(/^\d+\.\d+\.\d+([-+].+)?$/), "a chart version such as 1.4.2"),
    }),
    /** The benchmark's reconcile rates (objects per second per controller) and the conditions they were measured at. */
    reconcile: z
        .strictObject({
            /** HelmReleases per second per helm-controller. Default 2 (flux-benchmark: 1000 in 8m12s). */
            helmReleasesPerSecond: num({ gt: 0 }).default(BENCHMARK_RATES.helmReleasesPerSecond),
            /** Kustomizations per second per kustomize-controller. Default 4 (flux-benchmark: 1000 in 4m16s). */
            kustomizationsPerSecond: num({ gt: 0 }).default(BENCHMARK_RATES.kustomizationsPerSecond),
            /** Concurrency and CPU the rates above were measured at (defaults: flux-benchmark's setup). */
            measuredAt: z
                .strictObject({
                    /** helm-controller --concurrent during the measurement. Default 10. */
                    helmConcurrency: int({ min: 1 }).default(BENCHMARK_RATES.measuredAt.helmConcurrency),
                    /** kustomize-controller --concurrent during the measurement. Default 20. */
                    kustomizeConcurrency: int({ min: 1 }).default(BENCHMARK_RATES.measuredAt.kustomizeConcurrency),
                    /** CPU cores each controller had during the measurement. Default 2. */
                    cpu: num({ gt: 0 }).default(BENCHMARK_RATES.measuredAt.cpu),
                })
                .prefault({}),
            /**
             * Where rates above flux-benchmark's were measured (a benchmark run, its URL): required for them. The
             * policy pack credits at most its own threshold per controller whatever is stated here. Default: none.
             */
            source: str({ min: 1, max: 500 }).optional(),
        })
        .superRefine((r, ctx) => {
            const claimed = measuredRates(r);
            const published = measuredRates(BENCHMARK_RATES);
            if (r.source === undefined && (creditsMoreThan(claimed.kustomize, published.kustomize) || creditsMoreThan(claimed.helm, published.helm))) {
                ctx.addIssue({
                    code: "custom",
                    path: ["source"],
                    input: undefined,
                    message: "expected where these rates were measured: they credit more than flux-benchmark's (4 Kustomizations/s at --concurrent=20, 2 HelmReleases/s at 10, 2 CPU each)",
                });
            }
        })
        .prefault({}),
    /** How far above the mean the busiest shard may be before `shards plan` asks for --rebalance. Default 0.05: the busiest shard's rollout at most 5 % longer than a perfect balance. */
    balanceTolerance: fraction().default(0.05),
    /**
     * Keep tenant objects out of Flux garbage collection: tenant namespaces, volumes and Flux objects carry
     * prune: disabled, and each shard's root Kustomization enforces it and orphans on deletion. Default true;
     * false lets Flux delete whatever leaves the tree — every tenant's data on a refactor (outage 5 in docs/outages.md).
     */
    tenantPruneProtection: bool().default(true),
});
export type FluxConfig = z.output<typeof fluxSchema>;

/** Image of one controller for the configured Flux version: ghcr.io/fluxcd/<controller>:<tag>. */
export function fluxControllerImage(version: FluxVersion, controller: "source" | "kustomize" | "helm"): string {
    return `ghcr.io/fluxcd/${controller}-controller:${FLUX_DISTRIBUTIONS[version][controller]}`;
}
