// Data (outage 3: 25 → 160 Sidekiq threads exhausted PgBouncer, then RAM; Redis shared a host with the workers):
// the stack-wide connection budget, prepared statements off behind transaction pooling, and Redis tiers with
// memory limits, the right eviction policy and no co-location with workers.
import { POOLER_FACTS } from "../../contract/facts";
import { TIER_LABEL } from "../../contract/labels";
import {
    connectionBudgets,
    pgbouncerSizing,
    PGBOUNCER_PREPARED_STATEMENTS_SINCE,
    preparedStatementsAllowed,
    type AppConnectionTiers,
    type PoolerSize,
    type PostgresSize,
} from "../../capacity/connections";
import { REDIS_RSS_PER_MAXMEMORY, redisPeakResidentBytes } from "../../capacity/memory";
import { parseSidekiqArgs } from "../../capacity/queues";
import { parseRedisConf } from "../../formats/redisConf";
import { at, guarded, known, MissingFact, reportOverBudget, rule, type PolicyResource, type RuleBudget } from "../framework";
import { factsOf, argvOf, containersOf, envValue, kindOf, memoryMiB, metaName, mountedConfigFile, namespaceOf, ofKind, podLabelsOf, podSpecOf, replicasOf, selects, workloads, type Container } from "../k8s";

const CNPG = "postgresql.cnpg.io";
const describe = (r: PolicyResource) => `${kindOf(r)} ${namespaceOf(r) ? `${namespaceOf(r)}/` : ""}${metaName(r)}`;

/** The service a DB_HOST names: first DNS label and the namespace, when given (`svc.ns.svc.cluster.local`). */
function hostTarget(host: string, defaultNamespace?: string): { name: string; namespace?: string } {
    const [name, namespace] = host.split(".");
    return { name, namespace: namespace ?? defaultNamespace };
}

/** One app container that opens database connections, and how many it opens at full concurrency. */
export interface DatabaseClient {
    w: PolicyResource;
    container: string;
    host: { name: string; namespace?: string };
    tier: "web" | "streaming" | "workers";
    replicas: number;
    /** web: processes × threads; streaming: processes × DB_POOL; workers: threads. */
    size: { processes: number; threads: number };
}

const intEnv = (c: Container, name: string, dflt: number) => {
    const v = envValue(c, name);
    return v === undefined ? dflt : Number(v);
};

/** Every container with a DB_HOST, sized the Mastodon way (admin docs, "scaling"). */
export function databaseClients(resources: PolicyResource[]): DatabaseClient[] {
    const out: DatabaseClient[] = [];
    for (const w of workloads(resources)) {
        for (const c of containersOf(w)) {
            const host = envValue(c, "DB_HOST");
            if (host === undefined) continue;
            const replicas = known(replicasOf(w), `replicas of ${w.name}`) ?? 1;
            const argv = argvOf(c);
            const sidekiq = parseSidekiqArgs(argv);
            const base = { w, container: c.name, host: hostTarget(host, namespaceOf(w)), replicas };
            if (sidekiq) out.push({ ...base, tier: "workers", size: { processes: 1, threads: sidekiq.threads } });
            // Puma: WEB_CONCURRENCY processes (default 2) × MAX_THREADS threads (default 5).
            else if (argv.some((a) => a === "puma" || a.endsWith("/puma"))) out.push({ ...base, tier: "web", size: { processes: intEnv(c, "WEB_CONCURRENCY", 2), threads: intEnv(c, "MAX_THREADS", 5) } });
            // Anything else (the streaming server): one process with a pool of DB_POOL connections (default 10).
            else out.push({ ...base, tier: "streaming", size: { processes: 1, threads: intEnv(c, "DB_POOL", 10) } });
        }
    }
    return out;
}

/** A CloudNativePG Pooler with the Cluster behind it, read from their specs. */
export interface PoolerView {
    pooler: PolicyResource;
    cluster?: PolicyResource;
    size: PoolerSize;
    postgres: PostgresSize;
}

export function poolers(resources: PolicyResource[]): PoolerView[] {
    return ofKind(resources, "Pooler", CNPG).map((p) => {
        const clusterName = known(at(p.props, "spec.cluster.name"), `spec.cluster.name of ${p.name}`);
        const cluster = ofKind(resources, "Cluster", CNPG).find((c) => metaName(c) === clusterName && namespaceOf(c) === namespaceOf(p));
        const params = known(at(p.props, "spec.pgbouncer.parameters"), `pgbouncer parameters of ${p.name}`);
        const pairs = factsOf(POOLER_FACTS, p, "its server connections are unknown").userDatabasePairs;
        if (!cluster) throw new MissingFact(`Pooler ${metaName(p)} points at Cluster ${clusterName}, which the stack does not declare: Postgres max_connections is unknown`);
        const pg = known(at(cluster.props, "spec.postgresql.parameters"), `postgresql parameters of ${cluster.name}`) ?? {};
        return {
            pooler: p,
            cluster,
            size: {
                instances: Number(known(at(p.props, "spec.instances"), `instances of ${p.name}`) ?? 1),
                poolMode: (known(at(p.props, "spec.pgbouncer.poolMode"), `poolMode of ${p.name}`) ?? "session") as PoolerSize["poolMode"],
                ...pgbouncerSizing(params),
                userDatabasePairs: pairs,
            },
            // Postgres defaults: max_connections 100, superuser_reserved_connections 3 (PostgreSQL docs).
            postgres: { maxConnections: Number(pg.max_connections ?? 100), reservedConnections: Number(pg.superuser_reserved_connections ?? 3) },
        };
    });
}

/** Which pooler (if any) a client's DB_HOST reaches: CloudNativePG names a Pooler's Service after the Pooler. */
const reaches = (c: DatabaseClient, p: PoolerView) => c.host.name === metaName(p.pooler) && (c.host.namespace ?? namespaceOf(c.w)) === namespaceOf(p.pooler);

/** The connection budgets of each pooler in the stack, from the clients that reach it. */
export function connectionBudgetsOf(resources: PolicyResource[]): RuleBudget[] {
    const clients = databaseClients(resources);
    return poolers(resources).flatMap((p) => {
        const mine = clients.filter((c) => reaches(c, p));
        const tiers: AppConnectionTiers = {
            web: mine.filter((c) => c.tier === "web").map((c) => ({ replicas: c.replicas, processes: c.size.processes, threads: c.size.threads })),
            streaming: mine.filter((c) => c.tier === "streaming").map((c) => ({ replicas: c.replicas, processes: c.size.processes, dbPool: c.size.threads })),
            workers: mine.filter((c) => c.tier === "workers").map((c) => ({ name: `${metaName(c.w)}/${c.container}`, replicas: c.replicas, threads: c.size.threads })),
        };
        return connectionBudgets(tiers, p.size, p.postgres).map((b) => ({ ...b, id: `${b.id}.${metaName(p.pooler)}`, urn: b.id.endsWith("server") ? (p.cluster?.urn ?? p.pooler.urn) : p.pooler.urn }));
    });
}

export const connectionBudget = rule<Record<string, never>>({
    name: "database-connection-budget",
    family: "data",
    description: "Every thread that needs a database connection (web threads, worker threads, streaming pools) fits PgBouncer, and PgBouncer's server pools fit Postgres max_connections.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Raise data.pooler.maxClientConn (or pooler instances) to cover every web thread + worker thread + streaming pool, and keep default_pool_size × instances × user/db pairs within data.postgres.maxConnections − reserved; or run fewer worker threads. Outage 3: Sidekiq went from 25 to 160 threads against an unchanged PgBouncer.",
    config: {},
    checkStack(resources, _config, report) {
        guarded(report, undefined, () => {
            const budgets = connectionBudgetsOf(resources);
            reportOverBudget(budgets, report, (b) => `${b.title}: ${b.used} ${b.unit} against ${b.limit}.`);
            // Clients that bypass every pooler straight to Postgres are not counted anywhere: say so.
            const views = poolers(resources);
            for (const c of databaseClients(resources)) {
                const direct = ofKind(resources, "Cluster", CNPG).some((cl) => c.host.name.startsWith(`${metaName(cl)}-r`) && (c.host.namespace ?? namespaceOf(c.w)) === namespaceOf(cl));
                if (direct && !views.some((p) => reaches(c, p))) report(`${describe(c.w)} container ${c.container} connects to Postgres directly (DB_HOST ${c.host.name}), outside the pooler's budget.`, c.w.urn);
            }
        });
    },
    budgets: (resources) => connectionBudgetsOf(resources),
});

export const preparedStatements = rule<Record<string, never>>({
    name: "transaction-pooling-prepared-statements-off",
    family: "data",
    description: `Apps reaching PgBouncer in transaction pool mode run with prepared statements off (PREPARED_STATEMENTS=false): PgBouncer before ${PGBOUNCER_PREPARED_STATEMENTS_SINCE}, or with max_prepared_statements 0, loses named prepared statements between transactions.`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Set PREPARED_STATEMENTS=false on every container whose DB_HOST is a transaction-mode pooler (components/workloads sets it from capacity/connections preparedStatementsAllowed); schema migrations connect to Postgres directly instead. The rule depends on PgBouncer's version, which it does not read: only PgBouncer ≥ ${PGBOUNCER_PREPARED_STATEMENTS_SINCE} with max_prepared_statements > 0 carries named prepared statements in transaction mode (default 200 since 1.24.0). CloudNativePG 1.30's default Pooler image is ghcr.io/cloudnative-pg/pgbouncer:1.25.1, which does; an older image answers "prepared statement … does not exist".`,
    config: {},
    checkStack(resources, _config, report) {
        guarded(report, undefined, () => {
            const views = poolers(resources);
            for (const c of databaseClients(resources)) {
                const p = views.find((v) => reaches(c, v));
                if (!p || preparedStatementsAllowed(p.size.poolMode)) continue;
                const container = containersOf(c.w).find((x) => x.name === c.container)!;
                const value = envValue(container, "PREPARED_STATEMENTS");
                if (value !== "false") {
                    report(
                        `${describe(c.w)} container ${c.container} reaches ${metaName(p.pooler)} (pool mode ${p.size.poolMode}) with PREPARED_STATEMENTS ${value === undefined ? "unset (Rails default: on)" : `=${value}`}: safe only on PgBouncer ≥ ${PGBOUNCER_PREPARED_STATEMENTS_SINCE} with max_prepared_statements > 0, else "prepared statement … does not exist".`,
                        c.w.urn,
                    );
                }
            }
        });
    },
});

/** Redis `maxmemory` value → bytes (Redis units: k/m/g = 1000ⁿ, kb/mb/gb = 1024ⁿ). */
export function redisBytes(v: string): number {
    const m = /^(\d+)\s*(k|kb|m|mb|g|gb)?$/i.exec(v.trim());
    if (!m) return NaN;
    const unit: Record<string, number> = { "": 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
    return Number(m[1]) * unit[(m[2] ?? "").toLowerCase()];
}

/** A Redis server in the stack: workload, tier (from its tier label), memory limit and effective config. */
export interface RedisServer {
    w: PolicyResource;
    tier?: "cache" | "queue";
    limitMiB?: number;
    conf: Record<string, string>;
}

export function redisServers(resources: PolicyResource[]): RedisServer[] {
    const out: RedisServer[] = [];
    for (const w of workloads(resources)) {
        for (const c of containersOf(w)) {
            const argv = argvOf(c);
            const i = argv.findIndex((a) => a === "redis-server" || a.endsWith("/redis-server"));
            if (i < 0) continue;
            const conf: Record<string, string> = {};
            const file = argv[i + 1] !== undefined && !argv[i + 1].startsWith("--") ? argv[i + 1] : undefined;
            if (file) {
                const mounted = mountedConfigFile(w, c, file, resources);
                if (!mounted) throw new MissingFact(`${describe(w)} runs redis-server with ${file}, which no ConfigMap in the stack provides`);
                Object.assign(conf, parseRedisConf(mounted.text));
            }
            // Command-line directives override the file (`--maxmemory 1gb`).
            for (let j = i + 1; j < argv.length; j++) if (argv[j].startsWith("--") && argv[j + 1] !== undefined) conf[argv[j].slice(2).toLowerCase()] = argv[j + 1];
            const tierLabel = podLabelsOf(w)[TIER_LABEL];
            const tier = tierLabel === "redis-cache" ? "cache" : tierLabel === "redis-queue" ? "queue" : undefined;
            out.push({ w, tier, limitMiB: memoryMiB(known(c.resources?.limits?.memory, `memory limit of ${c.name}`)), conf });
        }
    }
    return out;
}

/** Does a required pod anti-affinity term keep this pod off every node running pods with these labels? */
function keepsAwayFrom(w: PolicyResource, labels: Record<string, string>): boolean {
    const terms: any[] = at(podSpecOf(w) ?? {}, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution") ?? [];
    return terms.some((t) => t.topologyKey === "kubernetes.io/hostname" && selects(t.labelSelector, labels));
}

export const redisTiers = rule<{ cachePolicies: string[]; workerTiers: string[] }>({
    name: "redis-tiers",
    family: "data",
    description: "Every Redis has a memory limit that its maxmemory's peak resident memory fits, the cache tier evicts (LRU/LFU), the queue tier never evicts and persists, and no Redis shares a node with queue workers.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Give each Redis container resources.limits.memory and a maxmemory whose peak resident memory (maxmemory × the measured ratio in capacity/memory) fits it (data.redis.<tier>.maxmemoryFraction); cache: maxmemory-policy allkeys-lru (or another LRU/LFU policy), no persistence; queue: maxmemory-policy noeviction and appendonly yes; and a required pod anti-affinity (topologyKey kubernetes.io/hostname) against the worker tiers. Outage 3: Redis and Sidekiq on one host ran out of RAM.",
    config: {
        cachePolicies: {
            type: "array",
            items: { type: "string" },
            default: ["allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"],
            description: "Eviction policies acceptable for the cache tier (Mastodon docs: the cache can run with maxmemory and an LRU policy).",
        },
        workerTiers: { type: "array", items: { type: "string" }, default: ["workers", "scheduler"], description: "Tier label values of queue workers Redis must not share a node with." },
    },
    checkStack(resources, config, report) {
        guarded(report, undefined, () => {
            const workerPods = workloads(resources).filter((w) => config.workerTiers.includes(podLabelsOf(w)[TIER_LABEL] ?? ""));
            for (const r of redisServers(resources)) {
                const say = (m: string) => report(`${describe(r.w)}: ${m}.`, r.w.urn);
                if (r.limitMiB === undefined) say("no memory limit: Redis grows until the node runs out of RAM");
                const maxmemory = r.conf.maxmemory === undefined ? undefined : redisBytes(r.conf.maxmemory);
                if (maxmemory === undefined || maxmemory === 0) say("no maxmemory: Redis ignores its memory limit until the kernel kills it");
                else if (Number.isNaN(maxmemory)) say(`maxmemory ${r.conf.maxmemory} is not a size`);
                else if (r.limitMiB !== undefined && redisPeakResidentBytes(maxmemory) > r.limitMiB * 2 ** 20) {
                    say(`maxmemory ${r.conf.maxmemory} peaks at ${Math.ceil(redisPeakResidentBytes(maxmemory) / 2 ** 20)} MiB resident (${REDIS_RSS_PER_MAXMEMORY} × maxmemory, measured), above the memory limit (${r.limitMiB} MiB)`);
                }
                const policy = r.conf["maxmemory-policy"] ?? "noeviction"; // Redis default
                if (r.tier === undefined) say(`no ${TIER_LABEL} label of redis-cache or redis-queue: its eviction policy cannot be judged`);
                if (r.tier === "cache" && !config.cachePolicies.includes(policy)) say(`cache tier with maxmemory-policy ${policy}: expected one of ${config.cachePolicies.join(", ")}`);
                if (r.tier === "queue") {
                    if (policy !== "noeviction") say(`queue tier with maxmemory-policy ${policy}: queued jobs would be evicted (expected noeviction)`);
                    if ((r.conf.appendonly ?? "no") !== "yes") say("queue tier without appendonly yes: a restart loses queued jobs");
                }
                const redisLabels = podLabelsOf(r.w);
                const near = workerPods.filter((wp) => !keepsAwayFrom(r.w, podLabelsOf(wp)) && !keepsAwayFrom(wp, redisLabels));
                if (near.length > 0) say(`may share a node with ${near.map((x) => metaName(x)).join(", ")}: no required pod anti-affinity (per hostname) keeps them apart`);
            }
        });
    },
});

/**
 * Is an object store endpoint inside the cluster (a Service name: no dot, or ending in .svc or .cluster.local)? Such
 * a store (the Ceph object store beside the database's volumes) goes down with the cluster it backs up.
 */
export function inClusterEndpoint(endpoint: string): boolean {
    let host: string;
    try {
        host = new URL(endpoint).hostname;
    } catch {
        host = endpoint.split("/")[0].split(":")[0];
    }
    return !host.includes(".") || /\.svc$|\.svc\.cluster\.local$|\.cluster\.local$/.test(host);
}

export const postgresBackups = rule<{ allowInClusterTarget: boolean }>({
    name: "postgres-backups",
    family: "data",
    description:
        "Every CloudNativePG database is backed up to object storage outside its own failure domain: base backups on a ScheduledBackup, WAL archived continuously, a retention policy.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Configure data.postgres.backup: target s3 with destinationPath (s3://<bucket>/<prefix>), credentialsSecret (a Secret in the app namespace with ACCESS_KEY_ID and ACCESS_SECRET_KEY) and, off AWS, endpointURL of a store outside the cluster (another site, Backblaze B2, a NAS); a schedule and a retention (default daily at 03:00, 30d). The stack then sets the Cluster's spec.backup.barmanObjectStore and retentionPolicy and declares a ScheduledBackup. A store inside the cluster (the Ceph object store, target media) shares the database's failure domain: losing the cluster loses both. README: \"Postgres backups and restore\".",
    config: {
        allowInClusterTarget: {
            type: "boolean",
            default: false,
            description: "Accept a backup target inside the cluster, on the same Ceph as the database's volumes (dev only: a laptop is one failure domain anyway).",
        },
    },
    checkStack(resources, config, report) {
        const scheduled = ofKind(resources, "ScheduledBackup", CNPG);
        for (const c of ofKind(resources, "Cluster", CNPG)) {
            guarded(report, c.urn, () => {
                const what = describe(c);
                const store = known(at(c.props, "spec.backup.barmanObjectStore"), `spec.backup.barmanObjectStore of ${c.name}`);
                const plugins = ((known(at(c.props, "spec.plugins"), `spec.plugins of ${c.name}`) ?? []) as any[]).filter((p) => p?.isWALArchiver === true);
                if (store === undefined) {
                    // The barman-cloud plugin keeps its target in an ObjectStore this rule does not read: said, not passed.
                    report(
                        plugins.length > 0
                            ? `${what} archives through the plugin ${plugins.map((p) => p.name).join(", ")}, whose target this rule cannot read: where the backups go is not checked.`
                            : `${what} has no backup to object storage (spec.backup.barmanObjectStore): a lost volume, node or cluster loses the database.`,
                        c.urn,
                    );
                    if (plugins.length === 0) return;
                } else {
                    const endpoint = known(store.endpointURL, `endpointURL of ${c.name}'s backup`) as string | undefined;
                    const where = endpoint ?? "AWS S3";
                    if (endpoint !== undefined && inClusterEndpoint(endpoint) && !config.allowInClusterTarget) {
                        report(`${what} backs up to ${known(store.destinationPath, "destinationPath")} at ${where}, inside the cluster (the object store beside its own volumes): losing the cluster loses the database and its backups together.`, c.urn);
                    }
                    if (known(at(c.props, "spec.backup.retentionPolicy"), `retentionPolicy of ${c.name}`) === undefined) {
                        report(`${what} keeps its backups without a retention policy (spec.backup.retentionPolicy): they and the WAL pile up until the store is full, and then WAL archiving stops.`, c.urn);
                    }
                }
                const mine = scheduled.filter((s) => namespaceOf(s) === namespaceOf(c) && at(s.props, "spec.cluster.name") === metaName(c) && at(s.props, "spec.suspend") !== true);
                if (mine.length === 0) report(`${what} has no active ScheduledBackup: WAL is archived but no base backup is taken, and WAL alone restores nothing.`, c.urn);
            });
        }
    },
});

export const rules = [connectionBudget, preparedStatements, redisTiers, postgresBackups];
