// The smallest change of stack config that clears a budget over its limit, where the budget's figures come
// from config by a formula the model states (connections, nginx sizing, shard count, pool size, NIC floor).
// Each fix is offered only when the config explains the budget's current limit, so it never names a key that
// would not move it. The rest is left to the rule's remediation steps.
import { allocatableCpu } from "../../capacity/rolloutCpu";
import { findInstanceType } from "../../capacity/instances";
import { nginxSizing, proxyClientCapacity } from "../../capacity/proxy";
import { PROJECT_ROOT } from "../../config/load";
import type { PlatformConfig } from "../../config/schema";
import { loadStackTenants } from "../../tenants/plan";
import { figure, statusOf, type SummaryBudget } from "./budgets";

export interface Fix {
    /** The config key, as in the stack file under media-platform:, e.g. "flux.shards". */
    key: string;
    from: number;
    to: number;
    /** What to write, e.g. "flux.shards 26 → 31". */
    change: string;
    /** What the key is called where it ends up, or what else must follow, e.g. "PgBouncer max_client_conn". */
    note?: string;
}

const fix = (key: string, from: number, to: number, note?: string): Fix => ({ key, from, to, change: `${key} ${figure(from)} → ${figure(to)}`, ...(note ? { note } : {}) });

type Finder = (b: SummaryBudget, config: PlatformConfig, projectRoot: string) => Fix | undefined;

const FINDERS: [RegExp, Finder][] = [
    // Σ clients ≤ max_client_conn × pooler instances.
    [
        /^data\.connections\.clients\./,
        (b, c) => {
            const { instances, maxClientConn } = c.data.pooler;
            if (b.limit !== instances * maxClientConn) return undefined;
            return fix("data.pooler.maxClientConn", maxClientConn, Math.ceil(b.used / instances), "PgBouncer max_client_conn");
        },
    ],
    // default_pool_size × pods × user/db pairs ≤ max_connections − reserved.
    [
        /^data\.connections\.server\./,
        (b, c) => {
            const { maxConnections, reservedConnections } = c.data.postgres;
            if (b.limit !== maxConnections - reservedConnections) return undefined;
            return fix("data.postgres.maxConnections", maxConnections, b.used + reservedConnections, "Postgres max_connections");
        },
    ],
    // The stack sizes nginx for peak × its own headroom; the rule asks for peak × the policy's headroom.
    [
        /^edge\.proxy\.clients\./,
        (b, c) => {
            const p = c.edge.proxy;
            const sizing = (headroom: number) => ({ peakClients: p.peakClients, replicas: p.replicas, headroom, workerProcesses: p.workerProcesses });
            const capacity = (headroom: number) => proxyClientCapacity(p.replicas, nginxSizing(sizing(headroom)));
            if (capacity(p.headroom) !== b.limit) return undefined;
            let h = Math.ceil((b.used / p.peakClients) * 100) / 100;
            while (capacity(h) < b.used && h < 100) h = Math.round((h + 0.01) * 100) / 100;
            return h > p.headroom ? fix("edge.proxy.headroom", p.headroom, h, "nginx worker_connections follow") : undefined;
        },
    ],
    // The smallest shard count whose balanced plan fits the window, as `shards plan` prints it.
    [
        /^flux\.rollout\.(?!cpu$)/,
        (_b, c, root) => {
            const to = loadStackTenants(c, root).plan.recommendedShards;
            return to !== undefined && to > c.flux.shards ? fix("flux.shards", c.flux.shards, to, "then `platform shards plan --write` records the moves") : undefined;
        },
    ],
    // Every controller at its limit + other pods' requests ≤ the general pool's allocatable CPU.
    [
        /^flux\.rollout\.cpu$/,
        (b, c) => {
            const pools = c.nodePools.filter((p) => p.role === "general");
            if (pools.length !== 1 || pools[0].kind !== "aws") return undefined;
            const pool = pools[0];
            const cores = Math.min(...pool.instanceTypes.map((t) => findInstanceType(t)?.vcpu ?? 0));
            const perNode = allocatableCpu(cores);
            if (perNode <= 0 || Math.abs(pool.size.desired * perNode - b.limit) > 0.01 * b.limit + 0.01) return undefined;
            const to = Math.ceil((b.used - 1e-9) / perNode);
            const name = `nodePools[${pool.name}].size.desired`;
            return fix(name, pool.size.desired, to, `and size.min the same${to > pool.size.max ? `, size.max ${pool.size.max} → ${to}` : ""}: an autoscaler sees only the controllers' small requests`);
        },
    ],
    // A bare-metal storage node's NIC below the floor.
    [
        /^storage\.nic-floor\./,
        (b, c) => {
            const name = b.id.slice("storage.nic-floor.".length);
            const node = c.storage.nodes.find((n) => n.name === name);
            if (!node || node.instanceType !== undefined || node.nicGbps !== b.limit) return undefined;
            return fix(`storage.nodes[${name}].nicGbps`, b.limit, b.used, "a faster NIC on that machine");
        },
    ],
];

/** The fix of every budget over its limit that config can clear, by budget id. */
export function fixesOf(budgets: readonly SummaryBudget[], config: PlatformConfig, projectRoot = PROJECT_ROOT): Map<string, Fix> {
    const out = new Map<string, Fix>();
    for (const b of budgets) {
        if (statusOf(b) !== "OVER") continue;
        const finder = FINDERS.find(([re]) => re.test(b.id))?.[1];
        try {
            const f = finder?.(b, config, projectRoot);
            if (f) out.set(b.id, f);
        } catch {
            // A fix is a courtesy: a registry that cannot be read here is reported by the commands that need it.
        }
    }
    return out;
}

/**
 * The budget a violation is about: one of its rule's budgets over the limit, the only one, else the one whose
 * title (or last id segment, a node or pooler name) its message names.
 */
export function budgetOfViolation(v: { policyName: string; message: string }, budgets: readonly SummaryBudget[]): SummaryBudget | undefined {
    const over = budgets.filter((b) => b.rule === v.policyName && statusOf(b) === "OVER");
    if (over.length <= 1) return over[0];
    const byTitle = over.filter((b) => v.message.includes(b.title));
    if (byTitle.length === 1) return byTitle[0];
    const word = (s: string) => new RegExp(`(^|[^\\w.-])${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\w-])`);
    const byName = over.filter((b) => word(b.id.split(".").pop()!).test(v.message));
    return byName.length === 1 ? byName[0] : undefined;
}
