// A registry, its lock and the Flux config together: where every tenant goes and what each shard costs.
// The Pulumi stack, `shards plan` and `tenants render` all come through here, so they agree.
import * as path from "node:path";
import {
    firstLetterScheme,
    lowerBound,
    makespan,
    rolloutModelOf,
    smallestShardCount,
    tenantHelmReleases,
    tenantRolloutSeconds,
    type FirstLetterScheme,
    type RolloutModel,
    type ShardLoad,
} from "../capacity/rollout";
import { durationSeconds } from "../config/fields";
import type { PlatformConfig } from "../config/schema";
import { defaultPlanOf } from "../config/tenants";
import { shardName } from "../contract/gitops";
import { ConfigError, type ConfigProblem } from "../config/errors";
import { defaultLockPath, readLock, type ShardLock } from "./lock";
import { readRegistry, type Registry, type Tenant } from "./registry";
import { imbalance, planShards, type PlanOptions, type ShardPlan } from "./shards";

export interface ShardSummary {
    /** shard-1, shard-2, … */
    name: string;
    tenants: number;
    /** HelmRelease reconciles: one per app, at least one per tenant. */
    helmReleases: number;
    /** Predicted rollout in seconds. */
    rolloutSeconds: number;
}

export interface TenantShardPlan extends ShardPlan {
    /** One entry per shard, in shard order. */
    summaries: ShardSummary[];
    makespanSeconds: number;
    lowerBoundSeconds: number;
    /** makespan / lower bound. */
    imbalance: number;
    /** The A–Z first-letter scheme on the same tenants, for comparison. */
    firstLetter: FirstLetterScheme;
    windowSeconds: number;
    /** Smallest shard count whose balanced plan fits the window (undefined: none up to MAX_SHARDS). */
    recommendedShards: number | undefined;
}

/** Plans the tenants onto shards and predicts each shard's rollout under the model. */
export function planTenants(
    tenants: readonly Tenant[],
    opts: { shards: number; model: RolloutModel; windowSeconds: number; lock?: ShardLock } & PlanOptions,
): TenantShardPlan {
    const weight = new Map(tenants.map((t) => [t.name, tenantRolloutSeconds(t.apps.length, opts.model)]));
    const plan = planShards(
        tenants.map((t) => ({ name: t.name, weight: weight.get(t.name)! })),
        opts.shards,
        opts.lock,
        opts,
    );
    const helmReleases = new Array<number>(opts.shards).fill(0);
    for (const t of tenants) helmReleases[plan.assignment.get(t.name)!] += tenantHelmReleases(t.apps.length);
    const summaries = plan.loads.map((seconds, s) => ({ name: shardName(s), tenants: plan.counts[s], helmReleases: helmReleases[s], rolloutSeconds: seconds }));
    const weights = tenants.map((t) => weight.get(t.name)!);
    return {
        ...plan,
        summaries,
        makespanSeconds: makespan(plan.loads),
        lowerBoundSeconds: lowerBound(plan.total, opts.shards),
        imbalance: imbalance(plan),
        firstLetter: firstLetterScheme(tenants.map((t) => ({ name: t.name, seconds: weight.get(t.name)! }))),
        windowSeconds: opts.windowSeconds,
        recommendedShards: smallestShardCount(weights, opts.windowSeconds),
    };
}

/** Where a stack's registry, lock and tree live, resolved against the project root. */
export interface TenantPaths {
    registry: string;
    lock: string;
    renderDirectory: string;
}

export function tenantPaths(config: Pick<PlatformConfig, "tenants">, projectRoot: string): TenantPaths {
    const registry = path.resolve(projectRoot, config.tenants.registry);
    return {
        registry,
        lock: config.tenants.lock ? path.resolve(projectRoot, config.tenants.lock) : defaultLockPath(registry),
        renderDirectory: path.resolve(projectRoot, config.tenants.renderDirectory),
    };
}

/** A path for operator messages: relative to the working directory when inside it. */
export function shown(file: string): string {
    const rel = path.relative(process.cwd(), file);
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

export interface StackTenants {
    paths: TenantPaths;
    registry: Registry;
    lock: ShardLock | undefined;
    plan: TenantShardPlan;
}

/**
 * Tenants a lock keeps on shards the stack no longer runs, one problem per such shard: a stack run from it would
 * reconcile them on no controller until the tree is re-rendered, so the stack refuses it. `shards plan --write` and
 * `tenants render` move them (they plan from such a lock).
 */
export function lockBeyondShards(lock: ShardLock | undefined, shards: number, lockFile: string, stackArg: string): ConfigProblem[] {
    if (!lock) return [];
    const beyond = new Map<number, string[]>();
    for (const [name, i] of lock.tenants) if (i >= shards) beyond.set(i, [...(beyond.get(i) ?? []), name]);
    return [...beyond.keys()]
        .sort((a, b) => a - b)
        .map((i) => {
            const names = beyond.get(i)!.sort();
            const shown = names.length <= 5 ? names.join(", ") : `${names.slice(0, 5).join(", ")} and ${names.length - 5} more`;
            return {
                path: `${lockFile} ${shardName(i)}`,
                message: `expected no tenant on a shard beyond flux.shards (${shards}), got ${names.length} (${shown}): move them with \`platform shards plan ${stackArg} --write\` (or \`tenants render\`) and commit the lock and the tree first`,
            };
        });
}

/**
 * Reads a stack's registry and lock and plans its shards (throws ConfigError on a bad registry or lock). With
 * `refuseLockBeyondShards` (how a command names the stack, e.g. "--stack dev"), a lock keeping tenants on shards
 * beyond flux.shards is refused too: what the stack program and `config validate` do.
 */
export function loadStackTenants(config: PlatformConfig, projectRoot: string, opts: PlanOptions & { refuseLockBeyondShards?: string } = {}): StackTenants {
    const paths = tenantPaths(config, projectRoot);
    const registry = readRegistry(
        paths.registry,
        { plans: Object.keys(config.tenants.plans), defaultPlan: defaultPlanOf(config.tenants), reserved: [config.flux.namespace] },
        shown(paths.registry),
    );
    const lock = readLock(paths.lock, shown(paths.lock));
    if (opts.refuseLockBeyondShards !== undefined) {
        const problems = lockBeyondShards(lock, config.flux.shards, shown(paths.lock), opts.refuseLockBeyondShards);
        if (problems.length > 0) throw new ConfigError(problems, shown(paths.lock));
    }
    const plan = planTenants(registry.tenants, {
        shards: config.flux.shards,
        model: rolloutModelOf(config.flux),
        windowSeconds: durationSeconds(config.maintenanceWindow),
        lock,
        tolerance: config.flux.balanceTolerance,
        ...opts,
    });
    return { paths, registry, lock, plan };
}

/** The per-shard load FluxShards annotates (index = shard). */
export function shardLoadsOf(plan: Pick<TenantShardPlan, "summaries">): ShardLoad[] {
    return plan.summaries.map((s) => ({ kustomizations: s.tenants, helmReleases: s.helmReleases }));
}
