// `shards plan`: where every tenant goes, what each shard's rollout costs, and how that compares with the
// window and with first-letter sharding. Reads the previous assignment from the lock; --write records it.
import * as fs from "node:fs";
import * as path from "node:path";
import { formatSeconds, rolloutModelOf } from "../../capacity/rollout";
import type { RolloutCpuBudget } from "../../capacity/rolloutCpu";
import { durationSeconds, DURATION } from "../../config/fields";
import { fluxSchema } from "../../config/flux";
import { PROJECT_ROOT, loadStackFile } from "../../config/load";
import { policyResources } from "../../stacks/resources";
import { rolloutCpuOf } from "../../policies/rules/flux";
import { runStackOffline } from "../../stacks/offline";
import { defaultPlanOf } from "../../config/tenants";
import { MAX_SHARDS, shardName } from "../../contract/gitops";
import { defaultLockPath, formatLock, readLock } from "../../tenants/lock";
import { planTenants, shown, tenantPaths, type TenantShardPlan } from "../../tenants/plan";
import { readRegistry } from "../../tenants/registry";
import { lockOf } from "../../tenants/shards";
import { EXIT, parse, UsageError, type Command } from "../command";
import { withPhases } from "../terminal";
import { stackFileArg } from "./config";

const BAR_WIDTH = 40;
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A text bar of `value` against `full` (BAR_WIDTH characters). */
export function bar(value: number, full: number): string {
    if (full <= 0) return "";
    const eighths = Math.round((value / full) * BAR_WIDTH * 8);
    return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export const shardsPlan: Command = {
    words: ["shards", "plan"],
    summary: "plan tenants onto Flux shards, predict each shard's rollout",
    help: `Usage: platform shards plan (--tenants <registry> | --stack <name> | --stack-file <path>)
                           [--shards N] [--lock <file> [--write]] [--rebalance] [--window 1h] [--json]

Assigns every tenant of a registry to a Flux shard, balanced by reconcile cost (apps count) and stable:
tenants recorded in the lock stay where they are, new tenants join the lightest shard, and a new shard
takes about 1/(n+1) of the tenants, all moving onto it. Prints per shard its tenants, HelmReleases and
predicted rollout with a bar, how many tenants move, the makespan (busiest shard) against the lower
bound (total ÷ shards), the A–Z first-letter scheme's makespan on the same tenants, and the smallest
shard count that fits the maintenance window. The rollout counts on every shard controller running at
its CPU limit in the window: with a stack, that CPU plus what the other pods there request is checked
against the nodes the controllers run on (the stack runs offline, as in \`check\`); where it does not fit,
the predicted rollout is not claimed.

Options:
  --tenants <file>      a registry file (rates, plans and window then default to the benchmark's and 1h)
  --stack <name>        take registry, lock, shard count, window and rates from a shipped stack
  --stack-file <path>   the same from any stack file
  --shards N            shard count (default: the stack's; else the lock's; else the smallest that fits)
  --lock <file>         previous assignment (default: the stack's lock, or <registry>.lock.yaml beside it)
  --write               record the new assignment in the lock file
  --rebalance           move the fewest tenants needed to bring the busiest shard within the tolerance
  --window <duration>   maintenance window, e.g. 1h or 45m (default: the stack's, else 1h)
  --json                machine-readable output, including the whole tenant → shard assignment

Examples:
  platform shards plan --stack prod
  platform shards plan --stack prod --shards 33 --write
  platform shards plan --tenants tenants/registries/prod.yaml --shards 26 --json`,
    async run(argv) {
        const { values } = parse(argv, {
            tenants: { type: "string" },
            stack: { type: "string" },
            "stack-file": { type: "string" },
            shards: { type: "string" },
            lock: { type: "string" },
            write: { type: "boolean" },
            rebalance: { type: "boolean" },
            window: { type: "string" },
            json: { type: "boolean" },
        });
        const fromStack = values.stack !== undefined || values["stack-file"] !== undefined;
        if (fromStack === (values.tenants !== undefined)) throw new UsageError("give exactly one of --tenants <registry>, --stack <name> or --stack-file <path>");
        if (values.write && values.json) throw new UsageError("--write and --json do not go together: write first, then ask for --json");
        if (values.window !== undefined && !(DURATION.test(values.window) && values.window !== "" && durationSeconds(values.window) > 0)) {
            throw new UsageError(`--window: expected a duration such as 1h or 45m, got ${JSON.stringify(values.window)}`);
        }
        let shardsArg: number | undefined;
        if (values.shards !== undefined) {
            shardsArg = Number(values.shards);
            if (!Number.isInteger(shardsArg) || shardsArg < 1 || shardsArg > MAX_SHARDS) throw new UsageError(`--shards: expected a whole number from 1 to ${MAX_SHARDS}, got ${JSON.stringify(values.shards)}`);
        }

        const config = fromStack ? loadStackFile(stackFileArg(values)) : undefined;
        const registryFile = config ? tenantPaths(config, PROJECT_ROOT).registry : path.resolve(values.tenants!);
        const lockFile = values.lock !== undefined ? path.resolve(values.lock) : config ? tenantPaths(config, PROJECT_ROOT).lock : defaultLockPath(registryFile);
        const registry = readRegistry(
            registryFile,
            config ? { plans: Object.keys(config.tenants.plans), defaultPlan: defaultPlanOf(config.tenants), reserved: [config.flux.namespace] } : { defaultPlan: "default" },
            shown(registryFile),
        );
        const lock = readLock(lockFile, shown(lockFile));
        // Without a stack: the schema's defaults (flux-benchmark rates, default controller sizing).
        const controllers = config?.flux.controllers ?? fluxSchema.shape.controllers.parse(undefined);
        const model = rolloutModelOf({ reconcile: config?.flux.reconcile ?? fluxSchema.shape.reconcile.parse(undefined), controllers });
        // What one shard's controllers may use at once during the rollout (limits) and ask for the rest of the day.
        const shardCpu = { limit: controllers.source.cpu + controllers.kustomize.cpu + controllers.helm.cpu, request: controllers.source.requestCpu + controllers.kustomize.requestCpu + controllers.helm.requestCpu };
        const tolerance = config?.flux.balanceTolerance ?? fluxSchema.shape.balanceTolerance.parse(undefined);
        const windowSeconds = durationSeconds(values.window ?? config?.maintenanceWindow ?? "1h");

        let shards = shardsArg ?? config?.flux.shards ?? lock?.shards;
        if (shards === undefined) {
            // No stack, no lock: start from the smallest count that fits the window.
            shards = planTenants(registry.tenants, { shards: 1, model, windowSeconds }).recommendedShards ?? 256;
        }
        const plan = planTenants(registry.tenants, { shards, model, windowSeconds, lock, rebalance: values.rebalance, tolerance });

        const rolloutCpu = fromStack
            ? await withPhases(`shards plan`, (phase) => (phase("running the stack program under mocks for the rollout CPU"), stackRolloutCpu(stackFileArg(values), shards)))
            : undefined;

        if (values.write) {
            fs.mkdirSync(path.dirname(lockFile), { recursive: true });
            fs.writeFileSync(lockFile, formatLock(lockOf(plan), path.basename(registryFile)));
        }
        if (values.json) console.log(JSON.stringify({ ...planJson(plan, shown(registryFile), shown(lockFile), lock !== undefined, rolloutCpu), windowCpuCores: shards * shardCpu.limit }, null, 2));
        else console.log(planText(plan, { registry: shown(registryFile), lock: shown(lockFile), lockShards: lock?.shards, wrote: values.write ?? false, tolerance, shardCpu, rolloutCpu }));
        return EXIT.ok;
    },
};

/**
 * The rollout CPU budget of a stack at a shard count: the stack runs offline under mocks with that count and
 * the policy rule's own function reads its registered resources, so plan, rule and capacity summary agree.
 */
export async function stackRolloutCpu(stackFile: string, shards: number): Promise<RolloutCpuBudget | undefined> {
    const run = await runStackOffline(stackFile, { preview: true, mutate: (c) => void (c["media-platform:flux"].shards = shards) });
    const b = rolloutCpuOf(policyResources(run.resources));
    if (!b) return undefined;
    const { urn: _urn, ...budget } = b;
    return budget;
}

/** Does the rollout CPU fit the nodes (undefined: not checked, no stack)? */
const cpuFits = (b: RolloutCpuBudget | undefined) => (b === undefined ? undefined : b.used <= b.limit);

export function planJson(plan: TenantShardPlan, registry: string, lockFile: string, lockFound: boolean, rolloutCpu?: RolloutCpuBudget) {
    return {
        registry,
        lock: { file: lockFile, found: lockFound },
        shards: plan.shards,
        tenants: plan.assignment.size,
        perShard: plan.summaries,
        moves: plan.moves.map((m) => ({ tenant: m.tenant, from: shardName(m.from), to: shardName(m.to) })),
        added: plan.added.length,
        removed: plan.removed,
        makespanSeconds: plan.makespanSeconds,
        lowerBoundSeconds: plan.lowerBoundSeconds,
        imbalance: plan.imbalance,
        firstLetter: {
            makespanSeconds: plan.firstLetter.makespanSeconds,
            busiestLetter: plan.firstLetter.busiestLetter,
            unshardedTenants: plan.firstLetter.unshardedTenants,
        },
        windowSeconds: plan.windowSeconds,
        // The prediction holds only with the CPU it counts on (unchecked without a stack).
        fitsWindow: plan.makespanSeconds <= plan.windowSeconds && cpuFits(rolloutCpu) !== false,
        rolloutCpu: rolloutCpu ? { ...rolloutCpu, fits: cpuFits(rolloutCpu) } : null,
        recommendedShards: plan.recommendedShards ?? null,
        assignment: Object.fromEntries([...plan.assignment].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([t, s]) => [t, shardName(s)])),
    };
}

export function planText(
    plan: TenantShardPlan,
    ctx: { registry: string; lock: string; lockShards?: number; wrote: boolean; tolerance: number; shardCpu: { limit: number; request: number }; rolloutCpu?: RolloutCpuBudget },
): string {
    const n = plan.assignment.size;
    const lines: string[] = [];
    lines.push(`${ctx.registry}: ${n} tenants on ${plan.shards} shards (lock ${ctx.lock}: ${ctx.lockShards === undefined ? "none yet, planned from scratch" : `${ctx.lockShards} shards`})`);
    lines.push("");
    const w = Math.max(5, ...plan.summaries.map((s) => s.name.length));
    lines.push(`${"shard".padEnd(w)}  tenants  releases   rollout`);
    const busiest = plan.summaries.reduce((b, s) => (s.rolloutSeconds > b.rolloutSeconds ? s : b), plan.summaries[0]);
    for (const s of plan.summaries) {
        lines.push(`${s.name.padEnd(w)}  ${String(s.tenants).padStart(7)}  ${String(s.helmReleases).padStart(8)}  ${formatSeconds(s.rolloutSeconds).padStart(8)}  ${bar(s.rolloutSeconds, plan.makespanSeconds)}`);
    }
    lines.push("");
    const onto = [...new Set(plan.moves.map((m) => shardName(m.to)))];
    lines.push(`Moves:        ${plan.moves.length} of ${n} tenants (${pct(n ? plan.moves.length / n : 0)})${onto.length ? `, onto ${onto.length <= 4 ? onto.join(", ") : `${onto.length} shards`}` : ""}; ${plan.added.length} new, ${plan.removed.length} removed`);
    lines.push(`Makespan:     ${formatSeconds(plan.makespanSeconds)} (busiest: ${busiest.name}); lower bound ${formatSeconds(plan.lowerBoundSeconds)}; ratio ${plan.imbalance.toFixed(3)}`);
    if (plan.imbalance > 1 + ctx.tolerance) lines.push(`              the busiest shard is more than ${pct(ctx.tolerance)} above the mean: run again with --rebalance --write`);
    const fl = plan.firstLetter;
    lines.push(`A–Z scheme:   ${formatSeconds(fl.makespanSeconds)} (shard "${fl.busiestLetter}": ${fl.shardTenants[fl.busiestLetter.charCodeAt(0) - 97]} of the tenants); ${fl.unshardedTenants} tenant${fl.unshardedTenants === 1 ? "" : "s"} starting with a digit would get no shard`);
    const fits = plan.makespanSeconds <= plan.windowSeconds;
    const cpu = ctx.rolloutCpu;
    const verdict = !fits ? "DOES NOT FIT" : cpuFits(cpu) === false ? "NOT PREDICTED: the rollouts above count on CPU the nodes do not have (Rollout CPU)" : "fits";
    lines.push(`Window:       ${formatSeconds(plan.windowSeconds)}: ${verdict}; smallest shard count that fits: ${plan.recommendedShards ?? "none up to 256 (a single tenant exceeds the window)"}`);
    const cores = (n: number) => `${Math.round(n * 100) / 100} cores`;
    lines.push(
        `Rollout CPU:  ${plan.shards} shards × ${cores(ctx.shardCpu.limit)} (controller limits) = ${cores(plan.shards * ctx.shardCpu.limit)} may be busy at once in the window; requests ${cores(plan.shards * ctx.shardCpu.request)}`,
    );
    if (cpu) {
        const pctOf = Math.round((cpu.used / cpu.limit) * 100);
        lines.push(
            `              + ${cores(cpu.othersCores)} requested by other pods there = ${cores(cpu.used)} of ${cores(cpu.limit)} allocatable on ${cpu.onto} (${cpu.nodes}): ${cpu.used <= cpu.limit ? `fits (${pctOf} %)` : `DOES NOT FIT (${pctOf} %)`}`,
        );
    } else lines.push("              not checked against nodes without a stack (--stack checks it)");
    lines.push(ctx.wrote ? `Lock written: ${ctx.lock}` : `Lock unchanged (add --write to record this plan in ${ctx.lock})`);
    return lines.join("\n");
}
