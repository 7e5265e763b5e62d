// The rollout model with real numbers: the flux-benchmark figures it is built from, concurrency and CPU
// scaling, tenant weights, the window arithmetic and the A–Z scheme of outage 2.
import {
    balancedMakespan,
    BENCHMARK_RATES,
    creditedSecondsPerObject,
    creditsMoreThan,
    firstLetterScheme,
    formatSeconds,
    lowerBound,
    makespan,
    measuredRates,
    placeOnLightest,
    rolloutModel,
    rolloutModelOf,
    secondsPerObject,
    shardRolloutFromFields,
    shardRolloutSeconds,
    smallestShardCount,
    tenantHelmReleases,
    tenantRolloutSeconds,
} from "../../capacity/rollout";
import { generateTenants } from "../../tenants/names";

// Built in each test that uses them, so that a mutant's run sees which test covers the model.
const rates = () => measuredRates(BENCHMARK_RATES);
const benchmarkSized = () => rolloutModel(rates(), { kustomize: { concurrency: 20, cpu: 2 }, helm: { concurrency: 10, cpu: 2 } });

describe("the model reproduces the benchmark it comes from", () => {
    it("1000 Kustomizations at --concurrent=20 on 2 CPU take ~4m (measured 4m16s)", () => {
        expect(shardRolloutSeconds({ kustomizations: 1000, helmReleases: 0 }, benchmarkSized())).toBe(250);
    });
    it("1000 HelmReleases at --concurrent=10 on 2 CPU take ~8m (measured 8m12s)", () => {
        expect(shardRolloutSeconds({ kustomizations: 0, helmReleases: 1000 }, benchmarkSized())).toBe(500);
    });
});

describe("concurrency and CPU", () => {
    it("Flux's default --concurrent=4 makes kustomize-controller 5× slower than at 20", () => {
        expect(secondsPerObject(rates().kustomize, { concurrency: 4, cpu: 2 })).toBeCloseTo(5 * secondsPerObject(rates().kustomize, { concurrency: 20, cpu: 2 }));
    });
    it("helm concurrency above the measured 10 earns nothing", () => {
        expect(secondsPerObject(rates().helm, { concurrency: 40, cpu: 2 })).toBe(secondsPerObject(rates().helm, { concurrency: 10, cpu: 2 }));
    });
    it("half the benchmark's CPU halves throughput; more CPU than measured earns nothing", () => {
        expect(secondsPerObject(rates().helm, { concurrency: 10, cpu: 1 })).toBe(1);
        expect(secondsPerObject(rates().helm, { concurrency: 10, cpu: 8 })).toBe(0.5);
    });
    it("configured rates override the benchmark's", () => {
        const slow = rolloutModelOf({ reconcile: { ...BENCHMARK_RATES, helmReleasesPerSecond: 1 }, controllers: { kustomize: { concurrency: 20, cpu: 2 }, helm: { concurrency: 10, cpu: 2 } } });
        expect(slow.helmReleaseSeconds).toBe(1);
        expect(slow.kustomizationSeconds).toBe(0.25);
    });
    it("rejects impossible sizing", () => {
        expect(() => secondsPerObject(rates().helm, { concurrency: 0, cpu: 2 })).toThrow(/deployedConcurrency must be a number > 0/);
    });
});

describe("tenant weights", () => {
    it("count one Kustomization and one HelmRelease per app (at least one)", () => {
        expect(tenantHelmReleases(0)).toBe(1);
        expect(tenantHelmReleases(7)).toBe(7);
        expect(tenantRolloutSeconds(0, benchmarkSized())).toBe(0.75);
        expect(tenantRolloutSeconds(3, benchmarkSized())).toBe(1.75);
        expect(tenantRolloutSeconds(12, benchmarkSized())).toBe(6.25);
    });
    it("a shard's prediction from its registered fields equals the model's", () => {
        const fromFields = shardRolloutFromFields({
            tenants: 313,
            helmReleases: 1790,
            kustomize: { concurrency: 20, cpu: 2, measured: rates().kustomize },
            helm: { concurrency: 10, cpu: 2, measured: rates().helm },
        });
        expect(fromFields).toBe(313 * 0.25 + 1790 * 0.5);
    });
});

describe("window arithmetic", () => {
    it("makespan is the busiest shard, the lower bound the even spread", () => {
        expect(makespan([300, 900, 600])).toBe(900);
        expect(lowerBound(1800, 3)).toBe(600);
    });
    it("the smallest shard count that fits: 1000 tenants of 5 apps (2750 s) need 4 shards for 15 min, 1 for 1 h", () => {
        const weights = new Array(1000).fill(tenantRolloutSeconds(5, benchmarkSized()));
        expect(smallestShardCount(weights, 900)).toBe(4);
        expect(balancedMakespan(weights, 4)).toBeLessThanOrEqual(900);
        expect(balancedMakespan(weights, 3)).toBeGreaterThan(900);
        expect(smallestShardCount(weights, 3600)).toBe(1);
    });
    it("nothing fits when one tenant alone is longer than the window", () => {
        expect(smallestShardCount([10, 4000], 3600)).toBeUndefined();
    });
});

describe("the A–Z first-letter scheme (outage 2)", () => {
    it("gives digits no shard and puts every s-name on one shard", () => {
        const scheme = firstLetterScheme([
            { name: "sarah", seconds: 2 },
            { name: "sam", seconds: 3 },
            { name: "alice", seconds: 4 },
            { name: "4kfan", seconds: 9 },
        ]);
        expect(scheme.busiestLetter).toBe("s");
        expect(scheme.makespanSeconds).toBe(5);
        expect(scheme.shardTenants[18]).toBe(2);
        expect(scheme.unshardedTenants).toBe(1);
    });
    it("on realistic names is far slower than 26 balanced shards", () => {
        const tenants = generateTenants({ count: 3000, seed: 7, plans: [["basic", 1]] });
        const seconds = tenants.map((t) => tenantRolloutSeconds(t.apps.length, benchmarkSized()));
        const scheme = firstLetterScheme(tenants.map((t, i) => ({ name: t.name, seconds: seconds[i] })));
        const balanced = balancedMakespan(seconds, 26);
        // s holds ~10 % of names: about 2.5× the balanced makespan, and some tenants never reconcile.
        expect(scheme.busiestLetter).toBe("s");
        expect(scheme.makespanSeconds / balanced).toBeGreaterThan(2);
        expect(scheme.unshardedTenants).toBeGreaterThan(0);
    });

    it("gives a name past z no shard, and calls the first of equally busy letters the busiest", () => {
        // "{" is the character after "z".
        const scheme = firstLetterScheme([
            { name: "bob", seconds: 5 },
            { name: "alice", seconds: 5 },
            { name: "{brace}", seconds: 9 },
        ]);
        expect(scheme.shardSeconds).toEqual([5, 5, ...new Array(24).fill(0)]);
        expect(scheme).toMatchObject({ makespanSeconds: 5, busiestLetter: "a", unshardedTenants: 1 });
        expect(firstLetterScheme([])).toMatchObject({ makespanSeconds: 0, busiestLetter: "a", unshardedTenants: 0 });
    });
});

it("formats durations for operators", () => {
    expect(formatSeconds(44.2)).toBe("45s");
    expect(formatSeconds(312)).toBe("5m12s");
    expect(formatSeconds(300)).toBe("5m");
    expect(formatSeconds(3600)).toBe("1h");
    expect(formatSeconds(3727)).toBe("1h02m07s");
    expect(formatSeconds(7207)).toBe("2h00m07s");
    expect(formatSeconds(3720)).toBe("1h02m");
});

describe("rates credited at most a ceiling", () => {
    // The benchmark's kustomize-controller: 4/s at --concurrent=20 on 2 CPU, 0.2/s per worker, 2/s per core.
    const ceiling = { perSecond: 4, concurrency: 20, cpu: 2 };

    it("credit more when they claim more per second, per worker or per core", () => {
        expect(creditsMoreThan(ceiling, ceiling)).toBe(false);
        expect(creditsMoreThan({ ...ceiling, perSecond: 5 }, ceiling)).toBe(true);
        // 8/s with twice the workers and the cores: as much per worker and per core, more per second.
        expect(creditsMoreThan({ perSecond: 8, concurrency: 40, cpu: 4 }, ceiling)).toBe(true);
        // 3/s at 10 workers: 0.3 per worker; 3/s on 1 core: 3 per core.
        expect(creditsMoreThan({ perSecond: 3, concurrency: 10, cpu: 2 }, ceiling)).toBe(true);
        expect(creditsMoreThan({ perSecond: 3, concurrency: 20, cpu: 1 }, ceiling)).toBe(true);
        // 2/s: 0.1 per worker, 1 per core; 2/s on 1 core: 2 per core, as much as the ceiling.
        expect(creditsMoreThan({ perSecond: 2, concurrency: 20, cpu: 2 }, ceiling)).toBe(false);
        expect(creditsMoreThan({ perSecond: 2, concurrency: 20, cpu: 1 }, ceiling)).toBe(false);
    });

    it("cost the slower of the claimed and the ceiling's prediction", () => {
        // At --concurrent=20 on 2 CPU: 20 / 5 / 20 = 0.2 s claimed, 20 / 4 / 20 = 0.25 s by the ceiling.
        const sizing = { concurrency: 20, cpu: 2 };
        expect(creditedSecondsPerObject({ ...ceiling, perSecond: 5 }, ceiling, sizing)).toBe(0.25);
        expect(creditedSecondsPerObject({ ...ceiling, perSecond: 5 }, undefined, sizing)).toBe(0.2);
        expect(creditedSecondsPerObject({ ...ceiling, perSecond: 2 }, ceiling, sizing)).toBe(0.5);
    });
});

describe("placing tenants on shards", () => {
    it("needs a shard, and spreads the total over one or more", () => {
        expect(() => lowerBound(10, 0)).toThrow("shards must be ≥ 1, got 0");
        expect(lowerBound(10, 1)).toBe(10);
        expect(() => placeOnLightest([], [1])).toThrow("need at least one shard");
    });

    it("puts each weight on the lightest shard, the lowest index of equally light ones", () => {
        const loads = [0, 0, 0];
        expect(placeOnLightest(loads, [5, 3, 1, 4])).toEqual([0, 1, 2, 2]);
        expect(loads).toEqual([5, 3, 5]);
    });

    it("balances heaviest first: 2, 1, 1 on two shards take 2, not 3", () => {
        expect(balancedMakespan([1, 1, 2], 2)).toBe(2);
    });

    it("takes the first shard count whose plan fits, a window exactly filled included, up to the maximum", () => {
        // 120 s of 40 s tenants in 60 s: 2 shards would take 80 s, 3 take 40 s.
        expect(smallestShardCount([40, 40, 40], 60)).toBe(3);
        expect(smallestShardCount([60, 30], 60)).toBe(2);
        expect(smallestShardCount([60, 60], 60, 2)).toBe(2);
        expect(smallestShardCount([60, 60], 60, 1)).toBeUndefined();
        expect(smallestShardCount([], 60)).toBe(1);
        expect(() => smallestShardCount([1], 0)).toThrow("windowSeconds must be a number > 0, got 0");
    });
});
