// The connection budget: every thread that needs a database connection must fit PgBouncer, and
// PgBouncer's server connections must fit Postgres (outage 3 in docs/outages.md: 25 → 160 Sidekiq threads
// against an unchanged pooler). Plain numbers in, plain numbers out: components size env and pooler
// parameters from these functions, and the policy pack calls them with values read from resources.
import type { Budget } from "../contract/budget";

/** A web (Puma) tier: each process runs `threads` threads, each holding one connection. */
export interface WebTierSize {
    replicas: number;
    /** WEB_CONCURRENCY. */
    processes: number;
    /** MAX_THREADS. */
    threads: number;
}

/** A streaming tier: each process opens up to `dbPool` connections. */
export interface StreamingTierSize {
    replicas: number;
    /** Processes per pod. */
    processes: number;
    /** DB_POOL per process. */
    dbPool: number;
}

/** A queue worker group (the scheduler is one, with one replica): each thread holds one connection. */
export interface WorkerGroupSize {
    name: string;
    replicas: number;
    /** Sidekiq processes per pod. Default 1. */
    processes?: number;
    /** Threads per process (`sidekiq -c`). */
    threads: number;
}

/** The app tiers that connect to Postgres through PgBouncer. */
export interface AppConnectionTiers {
    web: WebTierSize[];
    streaming: StreamingTierSize[];
    /** Every Sidekiq group, the scheduler included. */
    workers: WorkerGroupSize[];
}

/** PgBouncer as CloudNativePG runs it: `instances` pods, each with its own pools and client limit. */
export interface PoolerSize {
    instances: number;
    poolMode: "transaction" | "session";
    /** default_pool_size: server connections per user/database pair, per pod. */
    defaultPoolSize: number;
    /** max_client_conn, per pod. */
    maxClientConn: number;
    /** User/database pairs with a pool of their own (one app role on one database: 1). */
    userDatabasePairs: number;
}

export interface PostgresSize {
    maxConnections: number;
    /** superuser_reserved_connections. */
    reservedConnections: number;
}

// Mastodon admin docs ("scaling"): Puma threads, Sidekiq threads and streaming pools each hold a connection.
export const webConnections = (w: WebTierSize): number => w.replicas * w.processes * w.threads;
export const streamingConnections = (s: StreamingTierSize): number => s.replicas * s.processes * s.dbPool;
export const workerConnections = (g: WorkerGroupSize): number => g.replicas * (g.processes ?? 1) * g.threads;

export interface ClientConnections {
    web: number;
    streaming: number;
    workers: number;
    /** Per worker group name. */
    byWorkerGroup: Record<string, number>;
    total: number;
}

/** Client connections the app tiers open to PgBouncer at full concurrency. */
export function clientConnections(t: AppConnectionTiers): ClientConnections {
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const web = sum(t.web.map(webConnections));
    const streaming = sum(t.streaming.map(streamingConnections));
    const byWorkerGroup: Record<string, number> = {};
    for (const g of t.workers) byWorkerGroup[g.name] = (byWorkerGroup[g.name] ?? 0) + workerConnections(g);
    const workers = sum(t.workers.map(workerConnections));
    return { web, streaming, workers, byWorkerGroup, total: web + streaming + workers };
}

/**
 * Client connections PgBouncer accepts: max_client_conn on each pod. Clients reach the pods through one
 * Service, which spreads connections across them; losing a pod leaves (instances − 1) × max_client_conn.
 */
export const poolerClientCapacity = (p: Pick<PoolerSize, "instances" | "maxClientConn">): number => p.instances * p.maxClientConn;

/**
 * Server connections PgBouncer may open to Postgres when every pool is full: default_pool_size per
 * user/database pair per pod. Assumes reserve_pool_size and max_db_connections are left unset (CNPG
 * does not set them), and that CloudNativePG's auth_query user (cnpg_pooler_pgbouncer) is counted as
 * a pair of its own only when `userDatabasePairs` includes it.
 */
export const poolerServerConnections = (p: Pick<PoolerSize, "instances" | "defaultPoolSize" | "userDatabasePairs">): number =>
    p.instances * p.defaultPoolSize * p.userDatabasePairs;

/** Connections Postgres grants to non-superusers: max_connections − superuser_reserved_connections. */
export const postgresAvailableConnections = (pg: PostgresSize): number => pg.maxConnections - pg.reservedConnections;

/** Per-process database pool a Sidekiq process needs: one connection per thread (Mastodon docs: DB_POOL ≥ threads). */
export const sidekiqDbPool = (threads: number): number => threads;

/** PREPARED_STATEMENTS for Rails behind PgBouncer: transaction pooling cannot carry prepared statements. */
export const preparedStatementsAllowed = (poolMode: PoolerSize["poolMode"]): boolean => poolMode !== "transaction";

/** First PgBouncer that carries named prepared statements across transaction pooling (PgBouncer changelog, 1.21.0). */
export const PGBOUNCER_PREPARED_STATEMENTS_SINCE = "1.21.0";

/**
 * Does PgBouncer `version` keep named prepared statements working in transaction mode: from 1.21 on, when
 * max_prepared_statements is above 0 (its default: 0 before 1.24.0, 200 since; PgBouncer changelog). Before,
 * a statement prepared on one server connection is missing on the next: `prepared statement "…" does not exist`.
 */
export function pgbouncerKeepsPreparedStatements(version: string, maxPreparedStatements?: number): boolean {
    const v = (s: string) => s.split(".").map((n) => parseInt(n, 10) || 0);
    const atLeast = (a: number[], b: number[]) => {
        for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
        return true;
    };
    if (!atLeast(v(version), v(PGBOUNCER_PREPARED_STATEMENTS_SINCE))) return false;
    return (maxPreparedStatements ?? (atLeast(v(version), [1, 24, 0]) ? 200 : 0)) > 0;
}

/** The PgBouncer parameters CloudNativePG takes in `spec.pgbouncer.parameters` (all strings). */
export function pgbouncerParameters(p: Pick<PoolerSize, "defaultPoolSize" | "maxClientConn">): Record<string, string> {
    return { default_pool_size: String(p.defaultPoolSize), max_client_conn: String(p.maxClientConn) };
}

/**
 * PgBouncer's sizing from CloudNativePG `spec.pgbouncer.parameters`: a missing parameter reads as
 * PgBouncer's default (max_client_conn 100, default_pool_size 20: PgBouncer config docs); a value that is
 * not a whole number reads as NaN, which no budget passes.
 */
export function pgbouncerSizing(parameters: Record<string, string> | undefined): Pick<PoolerSize, "defaultPoolSize" | "maxClientConn"> {
    const n = (k: string, dflt: number) => {
        const v = parameters?.[k];
        return v === undefined ? dflt : /^\d+$/.test(v.trim()) ? parseInt(v, 10) : NaN;
    };
    return { defaultPoolSize: n("default_pool_size", 20), maxClientConn: n("max_client_conn", 100) };
}

/**
 * The connection budgets of a stack:
 * - clients: Σ web threads + Σ worker threads (scheduler included) + Σ streaming pools ≤ PgBouncer client capacity;
 * - server: PgBouncer server connections ≤ Postgres max_connections − reserved;
 * - session pooling only: every client keeps a server connection, so clients ≤ PgBouncer's pools.
 */
export function connectionBudgets(tiers: AppConnectionTiers, pooler: PoolerSize, postgres: PostgresSize): Budget[] {
    const clients = clientConnections(tiers);
    const server = poolerServerConnections(pooler);
    const budgets: Budget[] = [
        {
            id: "data.connections.clients",
            title: `database clients (web ${clients.web} + streaming ${clients.streaming} + workers ${clients.workers}) against PgBouncer max_client_conn × ${pooler.instances}`,
            used: clients.total,
            limit: poolerClientCapacity(pooler),
            unit: "connections",
        },
        {
            id: "data.connections.server",
            title: `PgBouncer server connections (default_pool_size ${pooler.defaultPoolSize} × ${pooler.instances} pods × ${pooler.userDatabasePairs} user/db) against Postgres max_connections − reserved`,
            used: server,
            limit: postgresAvailableConnections(postgres),
            unit: "connections",
        },
    ];
    if (pooler.poolMode === "session") {
        budgets.push({
            id: "data.connections.session",
            title: "database clients against PgBouncer server pools (session pooling holds one per client)",
            used: clients.total,
            limit: server,
            unit: "connections",
        });
    }
    return budgets;
}
