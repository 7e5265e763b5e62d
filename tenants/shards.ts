// Shard assignment: balanced by reconcile cost, stable through the lock file, never by first letter.
//
// Rules, in the order they apply:
//  1. A tenant recorded in the previous lock stays on its shard while that shard exists.
//  2. Tenants without a place (new ones, and those of shards that no longer exist) are placed heaviest
//     first, each onto the currently lightest shard (the LPT rule); ties go to the lowest shard index.
//     From scratch this alone gives a balanced plan: the busiest shard ends within one tenant of the mean.
//  3. When the shard count grows, each new shard is filled up to the mean by moving tenants onto it from
//     the busiest existing shard, preferring tenants of about the mean weight, so about 1/(n+1) of the
//     tenants move and every move lands on a new shard.
//  4. Only when asked (`rebalance`), and only while the busiest shard is above the tolerance, tenants move
//     from the busiest to the lightest shard, fewest moves first, until it is within half the tolerance.
//     Removals and weight changes never move anyone by themselves: they only make room that rule 2 fills.
// Balance: after rules 2 and 3 the busiest shard is within one tenant of the mean. That is within 5 % as
// soon as a shard carries 20 times the heaviest tenant (about 150 tenants per shard with the shipped app
// catalogue); on thinner shards no placement can promise it without moving someone, because a single
// new heavy tenant must land somewhere.
// Ties between equal weights are broken by the SHA-256 of the name, and all arithmetic runs in name order,
// so the same registry and lock give the same plan on every machine, whatever the registry's order.
import { createHash } from "node:crypto";
import { placeOnLightest } from "../capacity/rollout";
import { byCodeUnit, type ShardLock } from "./lock";

export interface WeightedTenant {
    name: string;
    /** Reconcile cost (capacity/rollout tenantRolloutSeconds); must be > 0. */
    weight: number;
}

export interface ShardMove {
    tenant: string;
    /** Previous shard index (0-based). */
    from: number;
    /** New shard index. */
    to: number;
}

export interface ShardPlan {
    shards: number;
    /** Tenant name → shard index (0-based), for every tenant given. */
    assignment: Map<string, number>;
    /** Sum of weights per shard. */
    loads: number[];
    /** Tenants per shard. */
    counts: number[];
    /** Tenants that were in the lock and now sit on another shard. */
    moves: ShardMove[];
    /** Tenants not in the lock before (placed by rule 2). */
    added: string[];
    /** Tenants in the lock that the registry no longer lists. */
    removed: string[];
    /** Sum of all weights. */
    total: number;
}

export interface PlanOptions {
    /** Move tenants to bring the busiest shard back within the tolerance (rule 4). Default false. */
    rebalance?: boolean;
    /** Allowed excess of the busiest shard over the mean, as a fraction. Default 0.05. */
    tolerance?: number;
}

interface Entry {
    name: string;
    weight: number;
    /** Tie-breaker independent of the name's letters. */
    hash: string;
}

const hashOf = (name: string) => createHash("sha256").update(name).digest("hex").slice(0, 16);

/** Orders by weight (ascending), then hash, then name. */
function ascending(a: Entry, b: Entry): number {
    return a.weight - b.weight || byCodeUnit(a.hash, b.hash) || byCodeUnit(a.name, b.name);
}

/** The tenants of one shard, kept sorted by weight for picking. */
class Members {
    private list: Entry[] = [];
    private sorted = true;
    add(e: Entry) {
        this.list.push(e);
        this.sorted = false;
    }
    private ensureSorted() {
        if (!this.sorted) this.list.sort(ascending);
        this.sorted = true;
    }
    /** Removes and returns a tenant chosen by `choose` over the weight-sorted list (an index or -1). */
    take(choose: (sorted: readonly Entry[]) => number): Entry | undefined {
        this.ensureSorted();
        const i = choose(this.list);
        if (i < 0) return undefined;
        return this.list.splice(i, 1)[0];
    }
}

/** Index of the last entry with weight ≤ limit in a weight-sorted list, or -1. */
function lastAtMost(list: readonly Entry[], limit: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].weight <= limit) lo = mid + 1;
        else hi = mid;
    }
    return lo - 1;
}

/** Index of the first entry with weight ≥ limit, or list.length. */
function firstAtLeast(list: readonly Entry[], limit: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].weight < limit) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

function argmax(loads: readonly number[], among: readonly number[]): number {
    let best = among[0];
    for (const s of among) if (loads[s] > loads[best]) best = s;
    return best;
}

function argmin(loads: readonly number[]): number {
    let best = 0;
    for (let s = 1; s < loads.length; s++) if (loads[s] < loads[best]) best = s;
    return best;
}

/** Plans `shards` shards for the tenants, starting from the previous lock when given. */
export function planShards(tenants: readonly WeightedTenant[], shards: number, previous?: ShardLock, opts: PlanOptions = {}): ShardPlan {
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a whole number ≥ 1, got ${shards}`);
    const tolerance = opts.tolerance ?? 0.05;
    const entries: Entry[] = tenants.map((t) => {
        if (!(Number.isFinite(t.weight) && t.weight > 0)) throw new RangeError(`tenant ${t.name}: weight must be a number > 0, got ${t.weight}`);
        return { name: t.name, weight: t.weight, hash: hashOf(t.name) };
    });
    entries.sort((a, b) => byCodeUnit(a.name, b.name));
    for (let i = 1; i < entries.length; i++) if (entries[i].name === entries[i - 1].name) throw new RangeError(`tenant ${entries[i].name} is listed twice`);

    const loads = new Array<number>(shards).fill(0);
    const members = Array.from({ length: shards }, () => new Members());
    const assignment = new Map<string, number>();
    const put = (e: Entry, s: number) => {
        assignment.set(e.name, s);
        members[s].add(e);
    };

    // Rule 1: keep what the lock recorded.
    const free: Entry[] = [];
    const added: string[] = [];
    for (const e of entries) {
        const was = previous?.tenants.get(e.name);
        if (was === undefined) added.push(e.name);
        if (was !== undefined && was < shards) {
            loads[was] += e.weight;
            put(e, was);
        } else free.push(e);
    }

    // Rule 2: place the rest, heaviest first, onto the lightest shard.
    free.sort((a, b) => ascending(b, a));
    placeOnLightest(
        loads,
        free.map((e) => e.weight),
    ).forEach((s, i) => put(free[i], s));

    const total = loads.reduce((a, b) => a + b, 0);
    const mean = total / shards;

    // Rule 3: fill new shards up to the mean from the busiest existing shard.
    const before = previous?.shards ?? shards;
    if (previous && shards > before && entries.length > 0) {
        const old = Array.from({ length: before }, (_, s) => s);
        const meanWeight = total / entries.length;
        for (let target = before; target < shards; target++) {
            for (;;) {
                const deficit = mean - loads[target];
                if (deficit <= 0) break;
                const donor = argmax(loads, old);
                if (loads[donor] <= mean) break;
                const moved = members[donor].take((list) => {
                    const fits = lastAtMost(list, deficit);
                    if (fits < 0) return -1;
                    const typical = firstAtLeast(list, meanWeight);
                    return typical <= fits ? typical : fits;
                });
                if (!moved) break;
                loads[donor] -= moved.weight;
                loads[target] += moved.weight;
                put(moved, target);
            }
        }
    }

    // Rule 4: on request, bring the busiest shard back within the tolerance.
    if (opts.rebalance && entries.length > 0) {
        const all = Array.from({ length: shards }, (_, s) => s);
        let busiest = argmax(loads, all);
        if (loads[busiest] > (1 + tolerance) * mean) {
            for (let guard = 0; guard < entries.length && loads[busiest] > (1 + tolerance / 2) * mean; guard++) {
                const lightest = argmin(loads);
                const gap = loads[busiest] - loads[lightest];
                const moved = members[busiest].take((list) => {
                    const half = lastAtMost(list, gap / 2);
                    if (half >= 0) return half;
                    return list.length > 0 && list[0].weight < gap ? 0 : -1;
                });
                if (!moved) break;
                loads[busiest] -= moved.weight;
                loads[lightest] += moved.weight;
                put(moved, lightest);
                busiest = argmax(loads, all);
            }
        }
    }

    const counts = new Array<number>(shards).fill(0);
    for (const s of assignment.values()) counts[s]++;
    const moves: ShardMove[] = [];
    for (const e of entries) {
        const was = previous?.tenants.get(e.name);
        const now = assignment.get(e.name)!;
        if (was !== undefined && was !== now) moves.push({ tenant: e.name, from: was, to: now });
    }
    const listed = new Set(entries.map((e) => e.name));
    const removed = previous ? [...previous.tenants.keys()].filter((n) => !listed.has(n)).sort(byCodeUnit) : [];
    return { shards, assignment, loads, counts, moves, added, removed, total };
}

/** Busiest shard over the mean (1 = perfect balance). */
export function imbalance(plan: Pick<ShardPlan, "loads" | "total" | "shards">): number {
    const mean = plan.total / plan.shards;
    return mean === 0 ? 1 : Math.max(...plan.loads) / mean;
}

/** The lock that records a plan. */
export function lockOf(plan: ShardPlan): ShardLock {
    return { shards: plan.shards, tenants: new Map(plan.assignment) };
}
