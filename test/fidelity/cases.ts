// What the fidelity suite and bench/fidelity.ts hold against real servers: the figures a stack really gives
// its Cluster, Pooler, Redis ConfigMaps and app Deployments (read from the resources it registers, the way
// the policy pack reads them), what the capacity model says of them, and one run of the real servers.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Budget } from "../../contract/budget";
import { connectionBudgets, pgbouncerSizing, type AppConnectionTiers, type PostgresSize } from "../../capacity/connections";
import { aofLossBoundSeconds, REDIS_RSS_PER_MAXMEMORY } from "../../capacity/memory";
import { PROJECT_ROOT } from "../../config/load";
import { parseRedisConf } from "../../formats/redisConf";
import { at } from "../../policies/framework";
import { memoryMiB, metaName } from "../../policies/k8s";
import { policyResources } from "../../stacks/resources";
import { connectionBudgetsOf, databaseClients, poolers, redisBytes, redisServers } from "../../policies/rules/data";
import { runStackOffline } from "../../stacks/offline";
import {
    ackedPushes,
    CLIENT_REFUSAL,
    createAppDatabase,
    initPostgres,
    quantile,
    readText,
    redisBenchmark,
    redisCli,
    redisInfo,
    residentBytes,
    runPgbench,
    slotRefusalOf,
    startPgbouncer,
    startPostgres,
    startRedis,
    tempDir,
    withRedis,
    type DatabaseBins,
    type PgbenchResult,
    type RedisBins,
} from "./servers";

/**
 * The one factor by which connection figures (max_connections, reserved slots, pool sizes, client limits)
 * and the load (clients per tier) are divided: 5 divides every figure of the shipped stacks but the
 * 3 reserved slots, which round up to 1. Counts that do not divide round up, on both sides alike.
 */
export const SCALE = 5;
export const scaled = (n: number): number => Math.ceil(n / SCALE);

/** Seconds each load runs. */
export const LOAD_SECONDS = 3;

/** Relative difference of a measured figure from the model's. */
export const deviation = (measured: number, model: number): number => (measured - model) / model;

/**
 * Tolerances, relative to the model: the point where a limit bites (clients let in, server connections
 * granted, memory at the first OOM) ±5 %; the peak RSS ratio, which the model must cover, at most 5 % above
 * it and at most 15 % below (the model takes the highest of runs that spread by 8 %; far above every
 * measurement, it would waste memory).
 */
export const TOLERANCE = { limit: 0.05, rssAbove: 0.05, rssBelow: 0.15 };

// -------------------------------------------------------------------------------------- connection budget

export interface DbCase {
    name: string;
    /** A shipped stack name or a stack file (relative to the repository). */
    stack: string;
    /** What it stands for. */
    about: string;
    mutate?: (config: Record<string, any>) => void;
}

const REPLAY = "test/replays/Pulumi.db-connections.yaml";

export const DB_CASES: DbCase[] = [
    { name: "dev", stack: "dev", about: "the embedded default" },
    { name: "homelab", stack: "homelab", about: "Free Radical before: 25 Sidekiq threads" },
    { name: "prod", stack: "prod", about: "3 PgBouncer pods" },
    { name: "db-connections", stack: REPLAY, about: "Free Radical's meltdown: 160 threads against the old pool" },
    {
        name: "db-connections, pooler raised",
        stack: REPLAY,
        about: "the meltdown's next step: more PgBouncer connections (max_client_conn 250, default_pool_size 120) than Postgres has slots",
        mutate: (c) => Object.assign(c["media-platform:data"].pooler, { maxClientConn: 250, defaultPoolSize: 120 }),
    },
];

/** One group of database clients (a tier of one workload) and how many connections it opens. */
export interface ClientGroup {
    name: string;
    tier: "web" | "streaming" | "workers";
    clients: number;
}

export interface DbSide {
    /** The Pooler's `spec.pgbouncer.parameters`. */
    parameters: Record<string, string>;
    postgres: PostgresSize;
    groups: ClientGroup[];
    budgets: Budget[];
}

export interface DbModel {
    case: DbCase;
    database: string;
    user: string;
    poolMode: "transaction" | "session";
    instances: number;
    /** As the stack gives them; budgets are the pack's (connectionBudgetsOf). */
    full: DbSide;
    /** Divided by SCALE; budgets from the same capacity model on the divided figures. */
    test: DbSide;
}

export const over = (b: Budget) => b.used > b.limit;
export const total = (groups: ClientGroup[]) => groups.reduce((a, g) => a + g.clients, 0);
export const budgetOf = (side: DbSide, id: string) => side.budgets.find((b) => b.id === id || b.id.startsWith(`${id}.`))!;

/** Pooler parameters that are connection counts, divided by SCALE; the others stay as they are. */
const COUNT_PARAMETERS = ["default_pool_size", "max_client_conn", "max_db_connections", "max_user_connections", "reserve_pool_size", "min_pool_size"];

/** Reads a case's stack (under mocks, as the pack would see it at preview) into the model's view of it. */
export async function dbModel(c: DbCase): Promise<DbModel> {
    const file = c.stack.endsWith(".yaml") ? path.join(PROJECT_ROOT, c.stack) : c.stack;
    const run = await runStackOffline(file, { preview: true, mutate: c.mutate });
    const resources = policyResources(run.resources);
    const views = poolers(resources);
    if (views.length !== 1) throw new Error(`${c.name}: expected one Pooler, found ${views.length}`);
    const view = views[0];
    const clients = databaseClients(resources);
    const groups: ClientGroup[] = clients.map((cl) => ({ name: `${metaName(cl.w)}/${cl.container}`, tier: cl.tier, clients: cl.replicas * cl.size.processes * cl.size.threads }));
    const parameters: Record<string, string> = at(view.pooler.props, "spec.pgbouncer.parameters") ?? {};
    const initdb = at(view.cluster!.props, "spec.bootstrap.initdb") ?? {};
    const full: DbSide = { parameters, postgres: view.postgres, groups, budgets: connectionBudgetsOf(resources) };

    const testParameters = Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, COUNT_PARAMETERS.includes(k) && /^\d+$/.test(v) ? String(scaled(Number(v))) : v]));
    const testPostgres = { maxConnections: scaled(view.postgres.maxConnections), reservedConnections: scaled(view.postgres.reservedConnections) };
    const testGroups = groups.map((g) => ({ ...g, clients: scaled(g.clients) }));
    const tiers: AppConnectionTiers = {
        web: testGroups.filter((g) => g.tier === "web").map((g) => ({ replicas: 1, processes: 1, threads: g.clients })),
        streaming: testGroups.filter((g) => g.tier === "streaming").map((g) => ({ replicas: 1, processes: 1, dbPool: g.clients })),
        workers: testGroups.filter((g) => g.tier === "workers").map((g) => ({ name: g.name, replicas: 1, threads: g.clients })),
    };
    const pooler = { ...view.size, ...pgbouncerSizing(testParameters) };
    const test: DbSide = { parameters: testParameters, postgres: testPostgres, groups: testGroups, budgets: connectionBudgets(tiers, pooler, testPostgres) };
    return { case: c, database: initdb.database ?? "app", user: initdb.owner ?? initdb.database ?? "app", poolMode: view.size.poolMode, instances: view.size.instances, full, test };
}

/** The verdict per budget (over or within), by budget kind: what scaling must leave as it is. */
export const verdicts = (side: DbSide) => Object.fromEntries(side.budgets.map((b) => [b.id.split(".").slice(0, 3).join("."), over(b) ? "over" : "within"]));

/** Clients per PgBouncer instance when the Service spreads them evenly (the model's assumption). */
export const spread = (clients: number, instances: number) => Array.from({ length: instances }, (_, i) => Math.floor(clients / instances) + (i < clients % instances ? 1 : 0));

export interface DbMeasured {
    pgbench: PgbenchResult[];
    /** Clients PgBouncer let in before its first refusal (all clients when none was refused). */
    clientsLetIn: number;
    /** PgBouncer's refusal as the client saw it, if any. */
    clientRefusal?: string;
    /** Postgres's first slot refusal and the server connections open when it came. */
    slotRefusal?: { message: string; openBackends: number };
    /** "server login failed" lines in PgBouncer's logs (Postgres refused it a connection). */
    serverLoginFailures: number;
    transactions: number;
    failedTransactions: number;
    aborted: boolean;
    /** p99 of the per-transaction latency, ms: the wait for a server connection plus a 1 ms transaction. */
    p99Ms: number;
    p50Ms: number;
}

/** A PostgreSQL data folder with the app's database, made once per suite. */
export async function preparePostgres(bins: DatabaseBins, m: DbModel): Promise<string> {
    const dir = initPostgres(bins);
    const pg = await startPostgres(bins, dir, { maxConnections: 20, reservedConnections: 3 }, "setup.log");
    try {
        await createAppDatabase(bins, pg.port, m.database, m.user);
    } finally {
        await pg.stop();
    }
    return dir;
}

export interface DbRunOptions {
    seconds?: number;
    /** pgbench -M. */
    mode?: "simple" | "extended" | "prepared";
    /** pgbench -j per PgBouncer instance; default 1 (clients connect in order, so a refusal names the count let in). */
    threads?: (clients: number) => number;
}

/** Postgres and `instances` PgBouncers at the case's test figures, the case's test load through them, measured. */
export async function runDbCase(bins: DatabaseBins, pgDir: string, m: DbModel, opts: DbRunOptions = {}): Promise<DbMeasured> {
    const tag = `${m.case.name}-${opts.mode ?? "simple"}`.replace(/[^a-z0-9]+/gi, "-");
    const pg = await startPostgres(bins, pgDir, m.test.postgres, `${tag}.log`);
    const work = tempDir("pgbouncer", true);
    const bouncers = [];
    try {
        for (let i = 0; i < m.instances; i++) {
            bouncers.push(await startPgbouncer(bins, work, `${tag}-${i}`, { poolMode: m.poolMode, parameters: m.test.parameters, postgresPort: pg.port }, [m.user]));
        }
        const shares = spread(total(m.test.groups), m.instances);
        const results = await Promise.all(
            bouncers.map((b, i) =>
                runPgbench(bins, {
                    port: b.port,
                    user: m.user,
                    database: m.database,
                    clients: shares[i],
                    threads: opts.threads?.(shares[i]) ?? 1,
                    seconds: opts.seconds ?? LOAD_SECONDS,
                    mode: opts.mode,
                    dir: work,
                    name: `${tag}-${i}`,
                }),
            ),
        );
        const bouncerLogs = bouncers.map((b) => readText(b.log)).join("\n");
        const latencies = results.flatMap((r) => r.latenciesMs);
        const refusal = results.map((r) => new RegExp(`FATAL:\\s+${CLIENT_REFUSAL.replace(/[()]/g, "\\$&")}`).exec(r.output)?.[0]).find((x) => x);
        return {
            pgbench: results,
            clientsLetIn: results.reduce((a, r, i) => a + (r.refusedClient ?? shares[i]), 0),
            clientRefusal: refusal,
            slotRefusal: slotRefusalOf(readText(pg.log), m.user),
            serverLoginFailures: (bouncerLogs.match(/login failed/g) ?? []).length,
            transactions: results.reduce((a, r) => a + r.transactions, 0),
            failedTransactions: results.reduce((a, r) => a + r.failedTransactions, 0),
            aborted: results.some((r) => r.aborted),
            p99Ms: quantile(latencies, 0.99),
            p50Ms: quantile(latencies, 0.5),
        };
    } finally {
        await Promise.all(bouncers.map((b) => b.stop()));
        await pg.stop();
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** Named prepared statements through the case's pooler; one pgbench thread per client (a synchronous PREPARE must not stall the others). */
export async function runPreparedStatements(bins: DatabaseBins, pgDir: string, m: DbModel, mode: "prepared" | "extended"): Promise<DbMeasured> {
    return runDbCase(bins, pgDir, m, { mode, seconds: 2, threads: (clients) => clients });
}

export const PREPARED_MISSING = /prepared statement "[^"]+" does not exist/;

// --------------------------------------------------------------------------------------------------- Redis

export interface RedisTierModel {
    /** The stack's redis.conf, from the tier's ConfigMap. */
    conf: string;
    maxmemory: number;
    limitBytes: number;
    policy: string;
}

export interface RedisModel {
    stack: string;
    cache: RedisTierModel;
    queue: RedisTierModel;
    /** Peak resident memory over maxmemory the model reserves (capacity/memory). */
    rssPerMaxmemory: number;
    /** Seconds of acknowledged writes the queue tier may lose (by its appendfsync). */
    aofLossBoundSeconds: number;
}

/** The Redis tiers of a stack, read from the ConfigMap each one mounts and its container's memory limit. */
export async function redisModel(stack = "dev"): Promise<RedisModel> {
    const run = await runStackOffline(stack, { preview: true });
    const resources = policyResources(run.resources);
    const tier = (t: "cache" | "queue"): RedisTierModel => {
        const server = redisServers(resources).find((s) => s.tier === t);
        if (!server) throw new Error(`${stack}: no Redis ${t} tier`);
        const configMap = resources.find((r) => r.props.kind === "ConfigMap" && metaName(r) === metaName(server.w));
        const limit = server.w.props.spec.template.spec.containers[0].resources.limits.memory;
        return {
            conf: configMap!.props.data["redis.conf"],
            maxmemory: redisBytes(server.conf.maxmemory),
            limitBytes: memoryMiB(limit)! * 2 ** 20,
            policy: server.conf["maxmemory-policy"] ?? "noeviction",
        };
    };
    const queue = tier("queue");
    return {
        stack,
        cache: tier("cache"),
        queue,
        rssPerMaxmemory: REDIS_RSS_PER_MAXMEMORY,
        aofLossBoundSeconds: aofLossBoundSeconds(parseRedisConf(queue.conf).appendfsync ?? "everysec"),
    };
}

/** Value sizes of the cache load, written at once over one key space: small entries, fragments, whole pages. */
export const CACHE_VALUE_BYTES = [128, 1024, 4096];

export interface CacheFill {
    maxmemory: number;
    written: number;
    peakRss: number;
    /** Peak resident memory / maxmemory. */
    ratio: number;
    evictedKeys: number;
    /** Error replies the server counted (a write that failed). */
    errorReplies: number;
    benchmarkFailures: number;
    keys: number;
}

/**
 * Fills the cache tier to `times` × maxmemory: one redis-benchmark per value size (SET on random keys of one
 * key space, 10 clients, pipelines of 16), each writing an equal share of the bytes, all at once.
 */
export function cacheFill(bins: RedisBins, m: RedisModel, times = 2): Promise<CacheFill> {
    return withRedis(bins, m.cache.conf, "redis-cache", async (server) => {
        const share = (times * m.cache.maxmemory) / CACHE_VALUE_BYTES.length;
        const runs = await Promise.all(
            CACHE_VALUE_BYTES.map((bytes) =>
                redisBenchmark(bins, server.port, ["-q", "-t", "set", "-d", String(bytes), "-r", "100000000", "-n", String(Math.ceil(share / bytes)), "-c", "10", "-P", "16"]),
            ),
        );
        const info = await redisInfo(bins, server.port);
        const peakRss = residentBytes(server.pid).peak;
        return {
            maxmemory: Number(info.maxmemory),
            written: times * m.cache.maxmemory,
            peakRss,
            ratio: peakRss / Number(info.maxmemory),
            evictedKeys: Number(info.evicted_keys),
            errorReplies: Number(info.total_error_replies),
            benchmarkFailures: runs.filter((r) => r.code !== 0 || /error/i.test(r.stdout + r.stderr)).length,
            keys: Number(await redisCli(bins, server.port, ["DBSIZE"])),
        };
    });
}

/** A Sidekiq job as the queue tier stores it: about 1 KiB of JSON. */
export function sidekiqJob(bytes = 1024): string {
    const job = (pad: string) => JSON.stringify({ class: "ActivityPub::DeliveryWorker", args: [pad, "https://example.social/inbox"], retry: 8, queue: "push", jid: "0".repeat(24) });
    return job("x".repeat(Math.max(0, bytes - job("").length)));
}

export interface QueueOom {
    maxmemory: number;
    jobBytes: number;
    acceptedJobs: number;
    /** Writes refused with OOM (Redis's errorstat). */
    oomRefusals: number;
    /** Redis's used_memory once writes are refused. */
    usedAtRefusal: number;
    rssAtRefusal: number;
    /** The error the client got. */
    error?: string;
}

/** Pushes jobs to the queue tier (redis-benchmark -x RPUSH, pipelines of 32) past maxmemory. */
export function queueOom(bins: RedisBins, m: RedisModel): Promise<QueueOom> {
    return withRedis(bins, m.queue.conf, "redis-queue", async (server) => {
        const job = sidekiqJob();
        const n = Math.ceil((1.2 * m.queue.maxmemory) / job.length);
        const r = await redisBenchmark(bins, server.port, ["-c", "1", "-P", "32", "-n", String(n), "-x", "RPUSH", "queue:push"], job);
        const info = await redisInfo(bins, server.port);
        return {
            maxmemory: Number(info.maxmemory),
            jobBytes: job.length,
            acceptedJobs: Number(await redisCli(bins, server.port, ["LLEN", "queue:push"])),
            oomRefusals: Number(/count=(\d+)/.exec(info.errorstat_OOM ?? "")?.[1] ?? 0),
            usedAtRefusal: Number(info.used_memory),
            rssAtRefusal: Number(info.used_memory_rss),
            error: /OOM [^\n\r]*/.exec(r.stdout + r.stderr)?.[0],
        };
    });
}

export interface QueueCrash {
    acked: number;
    survived: number;
    lostWrites: number;
    /** Time between the first and the last acknowledgement of the writes lost (0 when none). */
    lostSeconds: number;
    writesPerSecond: number;
}

/** Acknowledged writes to the queue tier, kill -9 after `killAfterMs`, restart on the same AOF, count what survived. */
export async function queueCrash(bins: RedisBins, m: RedisModel, killAfterMs = 1500): Promise<QueueCrash> {
    const dir = tempDir("redis-aof");
    let server = await startRedis(bins, m.queue.conf, dir);
    try {
        const started = performance.now();
        const timer = setTimeout(() => void server.crash(), killAfterMs);
        const acks = await ackedPushes(bins, server.port, "queue:push", killAfterMs + 10_000);
        clearTimeout(timer);
        await server.crash();
        server = await startRedis(bins, m.queue.conf, dir);
        const survived = Number(await redisCli(bins, server.port, ["LLEN", "queue:push"]));
        const lost = Math.max(0, acks.length - survived);
        return {
            acked: acks.length,
            survived,
            lostWrites: lost,
            lostSeconds: lost > 0 ? (acks[acks.length - 1] - acks[survived]) / 1000 : 0,
            writesPerSecond: acks.length / ((acks[acks.length - 1] - started) / 1000),
        };
    } finally {
        await server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
