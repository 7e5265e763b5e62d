// Properties of shard assignment through the lock file: deterministic whatever the registry's order,
// stable under additions and removals, growth moves tenants only onto the new shards (about 1/(n+1) of
// them), shrinking moves only the tenants of removed shards, and registries of a thousand tenants or
// more stay within 5 % of the mean throughout.
import fc from "fast-check";
import { seededRandom } from "../../tenants/names";
import { formatLock, parseLock, type ShardLock } from "../../tenants/lock";
import { imbalance, lockOf, planShards, type WeightedTenant } from "../../tenants/shards";

// A tenant's weight as the default model gives it: 0.25 s per Kustomization + 0.5 s per app (≥ 1).
const weightOf = (apps: number) => 0.25 + 0.5 * Math.max(1, apps);

/** Small registries: arbitrary names, 0–20 apps. */
const smallRegistry = fc.uniqueArray(
    fc.record({ name: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}[a-z0-9]$/), apps: fc.integer({ min: 0, max: 20 }) }),
    { selector: (t) => t.name, minLength: 1, maxLength: 150 },
).map((ts) => ts.map((t): WeightedTenant => ({ name: t.name, weight: weightOf(t.apps) })));

/** Large registries (≥ 1000 tenants) with a long tail of apps, built from a seed. */
const largeRegistry = fc.record({ seed: fc.integer(), count: fc.integer({ min: 1000, max: 3000 }) }).map(({ seed, count }) => {
    const random = seededRandom(seed);
    return Array.from({ length: count }, (_, i): WeightedTenant => {
        const apps = random() < 0.6 ? 1 + Math.floor(random() * 4) : random() < 0.85 ? 5 + Math.floor(random() * 6) : 11 + Math.floor(random() * 10);
        return { name: `t${i.toString(36)}-${Math.floor(random() * 1e6).toString(36)}`, weight: weightOf(apps) };
    });
});

const shardCount = fc.integer({ min: 1, max: 40 });
const lockFrom = (tenants: WeightedTenant[], shards: number, previous?: ShardLock) => lockOf(planShards(tenants, shards, previous));
const shuffled = <T>(xs: T[], seed: number) => {
    const random = seededRandom(seed);
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
};

describe("determinism", () => {
    it("the same tenants give the same plan whatever their order", () => {
        fc.assert(
            fc.property(smallRegistry, shardCount, fc.integer(), (tenants, n, seed) => {
                const a = planShards(tenants, n);
                const b = planShards(shuffled(tenants, seed), n);
                expect([...b.assignment].sort()).toEqual([...a.assignment].sort());
            }),
            { numRuns: 200 },
        );
    });
});

describe("stability through the lock", () => {
    it("new tenants join without moving anyone", () => {
        fc.assert(
            fc.property(smallRegistry, fc.integer({ min: 1, max: 60 }), shardCount, (all, split, n) => {
                const before = all.slice(0, Math.min(split, all.length - 1));
                const lock = lockFrom(before, n);
                const plan = planShards(all, n, lock);
                expect(plan.moves).toEqual([]);
                for (const t of before) expect(plan.assignment.get(t.name)).toBe(lock.tenants.get(t.name));
                expect(plan.added.sort()).toEqual(all.slice(before.length).map((t) => t.name).sort());
            }),
            { numRuns: 200 },
        );
    });

    it("removing tenants moves no one and frees their places", () => {
        fc.assert(
            fc.property(smallRegistry, fc.integer(), shardCount, (all, seed, n) => {
                const lock = lockFrom(all, n);
                const kept = shuffled(all, seed).slice(0, Math.ceil(all.length / 2));
                const plan = planShards(kept, n, lock);
                expect(plan.moves).toEqual([]);
                expect(plan.removed.length).toBe(all.length - kept.length);
            }),
            { numRuns: 200 },
        );
    });

    it("a weight change (more apps) moves no one unless a rebalance is asked for", () => {
        fc.assert(
            fc.property(smallRegistry, shardCount, (all, n) => {
                const lock = lockFrom(all, n);
                const heavier = all.map((t, i) => (i % 3 === 0 ? { ...t, weight: t.weight + 5 } : t));
                expect(planShards(heavier, n, lock).moves).toEqual([]);
            }),
            { numRuns: 100 },
        );
    });

    it("growing from n to n+k moves tenants only onto the new shards", () => {
        fc.assert(
            fc.property(smallRegistry, shardCount, fc.integer({ min: 1, max: 4 }), (tenants, n, k) => {
                const plan = planShards(tenants, n + k, lockFrom(tenants, n));
                for (const m of plan.moves) {
                    expect(m.from).toBeLessThan(n);
                    expect(m.to).toBeGreaterThanOrEqual(n);
                }
            }),
            { numRuns: 200 },
        );
    });

    it("shrinking moves only the tenants of the removed shards, onto the remaining ones", () => {
        fc.assert(
            fc.property(smallRegistry, fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 39 }), (tenants, n, less) => {
                const m = Math.max(1, n - less);
                const lock = lockFrom(tenants, n);
                const plan = planShards(tenants, m, lock);
                const onRemoved = tenants.filter((t) => lock.tenants.get(t.name)! >= m).map((t) => t.name);
                expect(plan.moves.map((x) => x.tenant).sort()).toEqual(onRemoved.sort());
                for (const x of plan.moves) expect(x.to).toBeLessThan(m);
            }),
            { numRuns: 200 },
        );
    });
});

describe("balance and movement for a thousand tenants or more", () => {
    it("from scratch, the busiest shard is within 5 % of the mean (and within one tenant of it)", () => {
        fc.assert(
            fc.property(largeRegistry, fc.integer({ min: 2, max: 40 }), (tenants, n) => {
                const plan = planShards(tenants, n);
                expect(imbalance(plan)).toBeLessThanOrEqual(1.05);
                expect(Math.max(...plan.loads)).toBeLessThanOrEqual(plan.total / n + Math.max(...tenants.map((t) => t.weight)));
            }),
            { numRuns: 25 },
        );
    });

    it("n → n+1 moves at most 1.1/(n+1) of the tenants, about 1/(n+1) of the load, all onto the new shard, and stays within 5 %", () => {
        fc.assert(
            fc.property(largeRegistry, fc.integer({ min: 2, max: 39 }), (tenants, n) => {
                const plan = planShards(tenants, n + 1, lockFrom(tenants, n));
                expect(plan.moves.every((m) => m.to === n)).toBe(true);
                expect(plan.moves.length).toBeLessThanOrEqual((1.1 * tenants.length) / (n + 1));
                const weight = new Map(tenants.map((t) => [t.name, t.weight]));
                const movedLoad = plan.moves.reduce((a, m) => a + weight.get(m.tenant)!, 0);
                const heaviest = Math.max(...tenants.map((t) => t.weight));
                expect(movedLoad).toBeLessThanOrEqual(plan.total / (n + 1));
                expect(movedLoad).toBeGreaterThanOrEqual(plan.total / (n + 1) - heaviest);
                expect(imbalance(plan)).toBeLessThanOrEqual(1.05);
            }),
            { numRuns: 25 },
        );
    });

    it("adding tenants moves no one; the busiest shard stays within one tenant of the mean, and within 5 % once shards carry ≥ 20 heaviest tenants", () => {
        fc.assert(
            fc.property(largeRegistry, fc.integer({ min: 2, max: 40 }), fc.double({ min: 0.01, max: 0.3, noNaN: true }), (tenants, n, share) => {
                const cut = Math.floor(tenants.length * (1 - share));
                const before = planShards(tenants.slice(0, cut), n);
                const plan = planShards(tenants, n, lockOf(before));
                expect(plan.moves).toEqual([]);
                // Each newcomer joins the lightest shard, so nothing exceeds the old busiest or the mean plus one tenant.
                const heaviest = Math.max(...tenants.map((t) => t.weight));
                const mean = plan.total / n;
                expect(Math.max(...plan.loads)).toBeLessThanOrEqual(Math.max(...before.loads, mean + heaviest) + 1e-9);
                if (mean >= 20 * heaviest) expect(imbalance(plan)).toBeLessThanOrEqual(1.05);
            }),
            { numRuns: 30 },
        );
    });

    it("after removals unbalance the shards, --rebalance restores the 5 % with few moves; without it nobody moves", () => {
        fc.assert(
            fc.property(largeRegistry, fc.integer({ min: 3, max: 30 }), (tenants, n) => {
                const lock = lockFrom(tenants, n);
                // Half the tenants of shard-1 leave.
                let dropped = 0;
                const remaining = tenants.filter((t) => !(lock.tenants.get(t.name) === 0 && dropped++ % 2 === 0));
                expect(planShards(remaining, n, lock).moves).toEqual([]);
                const plan = planShards(remaining, n, lock, { rebalance: true, tolerance: 0.05 });
                expect(imbalance(plan)).toBeLessThanOrEqual(1.05);
                expect(plan.moves.length).toBeLessThanOrEqual(dropped);
            }),
            { numRuns: 20 },
        );
    });
});

describe("the lock file", () => {
    it("round-trips through its text, sorted by name", () => {
        fc.assert(
            fc.property(smallRegistry, shardCount, (tenants, n) => {
                const lock = lockFrom(tenants, n);
                const text = formatLock(lock, "reg.yaml");
                expect(parseLock(text, "reg.lock.yaml")).toEqual(lock);
                const names = text
                    .split("\n")
                    .filter((l) => l.startsWith("  "))
                    .map((l) => l.trim().replace(/: shard-\d+$/, ""))
                    .map((k) => (k.startsWith('"') ? JSON.parse(k) : k));
                expect(names).toEqual([...names].sort());
            }),
            { numRuns: 100 },
        );
    });

    it("reports a corrupt lock with its path", () => {
        expect(() => parseLock("shards: 0\ntenants:\n  alice: shard-x\n", "x.lock.yaml")).toThrow(/x\.lock\.yaml shards: expected a whole number ≥ 1, got 0\n {2}x\.lock\.yaml tenants\.alice: expected a shard name such as shard-1, got "shard-x"/);
        // A merge that kept both sides of a moved tenant's line.
        expect(() => parseLock("shards: 2\ntenants:\n  alice: shard-1\n  alice: shard-2\n", "x.lock.yaml")).toThrow(/x\.lock\.yaml:4: expected each key once in a map, got "alice" again at line 4, column 3/);
    });
});
