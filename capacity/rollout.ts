// How long a daily rollout takes on each Flux shard, and how many shards it takes to fit the window.
//
// The model (outage 2 in docs/outages.md). Every tenant costs its shard one Kustomization reconcile on the shard's
// kustomize-controller and one HelmRelease reconcile per app on its helm-controller (a tenant without apps
// still has its HelmRelease: it counts as one). The only measured rates are flux-benchmark's, and they were
// measured at a given concurrency and CPU, so they are turned into the time one reconcile keeps one worker
// busy (Little's law: busy workers = throughput × time per object):
//   worker-seconds per object = measured concurrency / measured objects per second
// A controller with `--concurrent=c` and `cpu` cores then runs
//   effective workers = min(c, measured concurrency) × min(1, cpu / measured cpu)
// in parallel. Assumptions, all conservative: throughput grows linearly with workers up to the measured
// concurrency and never beyond it (flux-benchmark: no gain for helm above 10; nothing measured for
// kustomize above 20), and shrinks in proportion when the controller has less CPU than the benchmark had
// (the CPU counted is the controller's limit: it idles outside the window on small requests and bursts in
// it; capacity/rolloutCpu.ts makes that CPU on the controllers' nodes a mandatory budget, so no prediction
// is claimed on CPU the nodes do not have);
// the Kustomization phase and the HelmRelease phase are added although the two controllers overlap in
// practice, so the prediction is an upper bound; suspended tenants are counted as if active, because
// resuming one must not push its shard past the window. A tenant's cost is therefore a fixed number of
// seconds of its shard's wall-clock time, and a shard's rollout is the sum over its tenants.
// Everything here is pure arithmetic on plain numbers, shared by the stack, the CLI and the policy pack.
import { MAX_SHARDS } from "../contract/gitops";

/** flux-benchmark RESULTS.md (Flux v2.6): the rates and the conditions they were measured under. */
export const FLUX_BENCHMARK = {
    // 1000 Kustomizations in 4m16s ≈ 3.9/s, rounded to 4 (fluxcd/flux-benchmark RESULTS.md)
    kustomizationsPerSecond: 4,
    // 1000 HelmReleases in 8m12s ≈ 2.03/s, rounded to 2 (fluxcd/flux-benchmark RESULTS.md)
    helmReleasesPerSecond: 2,
    // kustomize-controller ran with --concurrent=20 (flux-benchmark RESULTS.md)
    kustomizeConcurrency: 20,
    // helm-controller ran with --concurrent=10; more gives no gain (flux-benchmark RESULTS.md)
    helmConcurrency: 10,
    // both controllers had 2 CPU (flux-benchmark RESULTS.md)
    cpu: 2,
} as const;

/** One controller's measured throughput and the conditions it was measured under. */
export interface MeasuredRate {
    /** Objects reconciled per second by one controller. */
    perSecond: number;
    /** `--concurrent` during the measurement. */
    concurrency: number;
    /** CPU cores the controller had during the measurement. */
    cpu: number;
}

/** A shard controller as deployed: its `--concurrent` and its CPU limit in cores. */
export interface ControllerSizing {
    concurrency: number;
    cpu: number;
}

/** Seconds of shard wall-clock time one object adds on a controller of the given sizing. */
export function secondsPerObject(rate: MeasuredRate, sizing: ControllerSizing): number {
    positive({ perSecond: rate.perSecond, concurrency: rate.concurrency, cpu: rate.cpu, deployedConcurrency: sizing.concurrency, deployedCpu: sizing.cpu });
    const workerSeconds = rate.concurrency / rate.perSecond;
    return workerSeconds / effectiveWorkers(rate, sizing);
}

/**
 * Does `rate` credit some controller more throughput than `ceiling` would? It does when it claims more objects
 * per second, or more per worker (measured at a lower concurrency), or more per core (measured on less CPU).
 */
export function creditsMoreThan(rate: MeasuredRate, ceiling: MeasuredRate): boolean {
    return rate.perSecond > ceiling.perSecond || rate.perSecond / rate.concurrency > ceiling.perSecond / ceiling.concurrency || rate.perSecond / rate.cpu > ceiling.perSecond / ceiling.cpu;
}

/** Seconds per object crediting at most `ceiling`'s throughput: the slower of the two predictions. */
export function creditedSecondsPerObject(rate: MeasuredRate, ceiling: MeasuredRate | undefined, sizing: ControllerSizing): number {
    const claimed = secondsPerObject(rate, sizing);
    return ceiling === undefined ? claimed : Math.max(claimed, secondsPerObject(ceiling, sizing));
}

/** Reconciles running in parallel: capped at the measured concurrency, scaled down for less CPU. */
export function effectiveWorkers(rate: Pick<MeasuredRate, "concurrency" | "cpu">, sizing: ControllerSizing): number {
    return Math.min(sizing.concurrency, rate.concurrency) * Math.min(1, sizing.cpu / rate.cpu);
}

/** The per-object costs of one shard's controllers, in seconds of shard wall-clock time. */
export interface RolloutModel {
    /** Seconds one Kustomization adds to its shard's rollout. */
    kustomizationSeconds: number;
    /** Seconds one HelmRelease (one app) adds to its shard's rollout. */
    helmReleaseSeconds: number;
}

/** Builds the model from the measured rates and the deployed shard controllers. */
export function rolloutModel(
    rates: { kustomize: MeasuredRate; helm: MeasuredRate },
    controllers: { kustomize: ControllerSizing; helm: ControllerSizing },
): RolloutModel {
    return {
        kustomizationSeconds: secondsPerObject(rates.kustomize, controllers.kustomize),
        helmReleaseSeconds: secondsPerObject(rates.helm, controllers.helm),
    };
}

/** The measured rates as config carries them (`flux.reconcile`): objects per second and where measured. */
export interface ReconcileRates {
    kustomizationsPerSecond: number;
    helmReleasesPerSecond: number;
    measuredAt: { kustomizeConcurrency: number; helmConcurrency: number; cpu: number };
}

/** The benchmark's own figures in the config's shape. */
export const BENCHMARK_RATES: ReconcileRates = {
    kustomizationsPerSecond: FLUX_BENCHMARK.kustomizationsPerSecond,
    helmReleasesPerSecond: FLUX_BENCHMARK.helmReleasesPerSecond,
    measuredAt: { kustomizeConcurrency: FLUX_BENCHMARK.kustomizeConcurrency, helmConcurrency: FLUX_BENCHMARK.helmConcurrency, cpu: FLUX_BENCHMARK.cpu },
};

/** Splits config-shaped rates into one MeasuredRate per controller. */
export function measuredRates(r: ReconcileRates): { kustomize: MeasuredRate; helm: MeasuredRate } {
    return {
        kustomize: { perSecond: r.kustomizationsPerSecond, concurrency: r.measuredAt.kustomizeConcurrency, cpu: r.measuredAt.cpu },
        helm: { perSecond: r.helmReleasesPerSecond, concurrency: r.measuredAt.helmConcurrency, cpu: r.measuredAt.cpu },
    };
}

/** The model for a Flux config section: its measured rates and its shard controllers' sizing. */
export function rolloutModelOf(flux: { reconcile: ReconcileRates; controllers: { kustomize: ControllerSizing; helm: ControllerSizing } }): RolloutModel {
    return rolloutModel(measuredRates(flux.reconcile), flux.controllers);
}

/** HelmRelease reconciles a tenant causes: one per app, and one for a tenant without apps. */
export function tenantHelmReleases(apps: number): number {
    return Math.max(1, apps);
}

/** What a set of tenants asks of a shard: Kustomizations (one per tenant) and HelmReleases (apps). */
export interface ShardLoad {
    kustomizations: number;
    helmReleases: number;
}

/** Predicted rollout of one shard in seconds. */
export function shardRolloutSeconds(load: ShardLoad, model: RolloutModel): number {
    return load.kustomizations * model.kustomizationSeconds + load.helmReleases * model.helmReleaseSeconds;
}

/** One tenant's share of its shard's rollout in seconds (its weight when balancing shards). */
export function tenantRolloutSeconds(apps: number, model: RolloutModel): number {
    return shardRolloutSeconds({ kustomizations: 1, helmReleases: tenantHelmReleases(apps) }, model);
}

/**
 * A shard's predicted rollout from the fields a registered shard carries: its tenant and HelmRelease
 * counts (capacity annotations on its root Kustomization), each controller's `--concurrent` and CPU limit
 * (the Deployments' own args and resources) and the measured rates (annotations on those Deployments),
 * each credited at most its `ceiling` when one is given (the policy pack's own threshold).
 */
export function shardRolloutFromFields(f: {
    tenants: number;
    helmReleases: number;
    kustomize: ControllerSizing & { measured: MeasuredRate; ceiling?: MeasuredRate };
    helm: ControllerSizing & { measured: MeasuredRate; ceiling?: MeasuredRate };
}): number {
    const model: RolloutModel = {
        kustomizationSeconds: creditedSecondsPerObject(f.kustomize.measured, f.kustomize.ceiling, f.kustomize),
        helmReleaseSeconds: creditedSecondsPerObject(f.helm.measured, f.helm.ceiling, f.helm),
    };
    return shardRolloutSeconds({ kustomizations: f.tenants, helmReleases: f.helmReleases }, model);
}

/** The busiest shard's rollout: what the window must hold. */
export function makespan(shardSeconds: readonly number[]): number {
    return shardSeconds.reduce((m, s) => Math.max(m, s), 0);
}

/** No assignment can beat the total spread evenly over the shards. */
export function lowerBound(totalSeconds: number, shards: number): number {
    if (!(shards >= 1)) throw new RangeError(`shards must be ≥ 1, got ${shards}`);
    return totalSeconds / shards;
}

/**
 * Places each weight, in the order given, on the currently lightest shard (ties: lowest index), adding it
 * to `loads`. Given weights in descending order this is the LPT rule, whose makespan stays within the
 * heaviest single weight of the mean. Returns the chosen shard index of every weight.
 */
export function placeOnLightest(loads: number[], weights: readonly number[]): number[] {
    if (loads.length === 0) throw new RangeError("need at least one shard");
    const placed = new Array<number>(weights.length);
    for (let i = 0; i < weights.length; i++) {
        let best = 0;
        for (let s = 1; s < loads.length; s++) if (loads[s] < loads[best]) best = s;
        loads[best] += weights[i];
        placed[i] = best;
    }
    return placed;
}

/** Makespan of a balanced plan from scratch (LPT: heaviest first, each onto the lightest shard). */
export function balancedMakespan(weights: readonly number[], shards: number): number {
    const loads = new Array<number>(shards).fill(0);
    placeOnLightest(loads, [...weights].sort((a, b) => b - a));
    return makespan(loads);
}

/**
 * The smallest shard count whose balanced plan fits the window, or undefined when even `maxShards`
 * does not (a single tenant longer than the window never fits).
 */
export function smallestShardCount(weights: readonly number[], windowSeconds: number, maxShards = MAX_SHARDS): number | undefined {
    positive({ windowSeconds });
    const total = weights.reduce((a, w) => a + w, 0);
    if (weights.some((w) => w > windowSeconds)) return undefined;
    for (let n = Math.max(1, Math.ceil(total / windowSeconds)); n <= maxShards; n++) {
        if (balancedMakespan(weights, n) <= windowSeconds) return n;
    }
    return undefined;
}

/** The A–Z scheme of outage 2: one shard per first letter; a name starting with a digit gets no shard. */
export interface FirstLetterScheme {
    /** Rollout seconds per letter shard, a–z (26 entries, empty letters 0). */
    shardSeconds: number[];
    /** Tenants per letter shard. */
    shardTenants: number[];
    /** The busiest letter shard's rollout. */
    makespanSeconds: number;
    /** The busiest letter. */
    busiestLetter: string;
    /** Tenants whose name starts with a digit (or anything but a–z): never reconciled under this scheme. */
    unshardedTenants: number;
}

const A = "a".charCodeAt(0);

export function firstLetterScheme(tenants: readonly { name: string; seconds: number }[]): FirstLetterScheme {
    const shardSeconds = new Array<number>(26).fill(0);
    const shardTenants = new Array<number>(26).fill(0);
    let unshardedTenants = 0;
    for (const t of tenants) {
        const i = t.name.charCodeAt(0) - A;
        if (i >= 0 && i < 26) {
            shardSeconds[i] += t.seconds;
            shardTenants[i]++;
        } else unshardedTenants++;
    }
    let busy = 0;
    for (let i = 1; i < 26; i++) if (shardSeconds[i] > shardSeconds[busy]) busy = i;
    return { shardSeconds, shardTenants, makespanSeconds: shardSeconds[busy], busiestLetter: String.fromCharCode(A + busy), unshardedTenants };
}

/** Seconds for operator output, rounded up to whole seconds: "45s", "5m12s", "1h", "1h02m", "2h00m07s". */
export function formatSeconds(seconds: number): string {
    let s = Math.ceil(seconds);
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    const two = (n: number) => String(n).padStart(2, "0");
    if (h > 0) return `${h}h${m || s ? `${two(m)}m` : ""}${s ? `${two(s)}s` : ""}`;
    if (m > 0) return `${m}m${s ? `${two(s)}s` : ""}`;
    return `${s}s`;
}

function positive(values: Record<string, number>): void {
    for (const [k, v] of Object.entries(values)) {
        if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${k} must be a number > 0, got ${v}`);
    }
}
