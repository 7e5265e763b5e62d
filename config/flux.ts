// Flux GitOps split into shards, each with its own source-, kustomize- and helm-controller.
import { z } from "zod";
import { dnsLabel, expecting, int, num, str, url } from "./fields";

const controller = (concurrency: number, cpu: number, memoryMiB: number) =>
    z
        .strictObject({
            /** --concurrent. */
            concurrency: int({ min: 1, max: 100 }).default(concurrency),
            /** CPU limit in cores. */
            cpu: num({ gt: 0 }).default(cpu),
            /** Memory limit in MiB. */
            memoryMiB: int({ min: 64 }).default(memoryMiB),
        })
        .prefault({});

export const fluxSchema = z.strictObject({
    /** Flux distribution version; controller image tags follow from it. Default v2.9.4. */
    version: expecting(z.string().regex(/^v\d+\.\d+\.\d+$/), "a Flux version such as v2.9.4").default("v2.9.4"),
    /** Namespace Flux was bootstrapped into. Default flux-system. */
    namespace: dnsLabel().default("flux-system"),
    /** Number of shards. */
    shards: int({ min: 1, max: 256 }),
    /** Per-shard controllers (defaults: Flux vertical-scaling docs and flux-benchmark). */
    controllers: z
        .strictObject({
            source: controller(4, 1, 512),
            // kustomize-controller --concurrent=20 with tmpfs /tmp (flux-benchmark, ElfHosted)
            kustomize: controller(20, 2, 2048),
            // helm-controller --concurrent=10: no gain above (flux-benchmark RESULTS.md)
            helm: controller(10, 2, 2048),
        })
        .prefault({}),
    /** Git repository holding the rendered tenant tree. */
    tenantsRepository: z.strictObject({
        url: url(),
        branch: str({ min: 1 }).default("main"),
    }),
    /** The app chart every tenant's HelmRelease installs. */
    appChart: z.strictObject({
        /** Helm repository URL (https:// or oci://). */
        repository: url(),
        name: dnsLabel(),
        version: expecting(z.string().regex(/^\d+\.\d+\.\d+([-+].+)?$/), "a chart version such as 1.4.2"),
    }),
    /** Override the benchmark's reconcile rates (objects per second per controller). */
    reconcile: z
        .strictObject({
            /** HelmReleases per second per helm-controller. Default 2 (flux-benchmark: 1000 in 8m12s). */
            helmReleasesPerSecond: num({ gt: 0 }).default(2),
            /** Kustomizations per second per kustomize-controller. Default 4 (flux-benchmark: 1000 in 4m16s). */
            kustomizationsPerSecond: num({ gt: 0 }).default(4),
        })
        .prefault({}),
});
export type FluxConfig = z.output<typeof fluxSchema>;
