// Reading registered resources the way a policy rule does: from the objects' own fields (container args and
// env, ConfigMap contents, CR specs) and capacity annotations, never from config. Shared by the data,
// workloads and edge tests.
import type { RegisteredResource, StackRun } from "../harness";
import type { AppConnectionTiers, PoolerSize, PostgresSize } from "../../capacity/connections";
import { pgbouncerSizing } from "../../capacity/connections";
import { QUEUE_LOAD_ANNOTATION, USER_DATABASE_PAIRS_ANNOTATION } from "../../capacity/labels";
import { parseSidekiqArgs, type QueueLoad, type QueueServer } from "../../capacity/queues";

/** Every resource registered under one of the components of these modules (e.g. "data", "workloads", "edge"). */
export function childrenOf(run: StackRun, modules: string[]): RegisteredResource[] {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const mine = (r: RegisteredResource): boolean => {
        const parent = byUrn.get(r.parent);
        if (!parent) return false;
        return modules.some((m) => parent.type.startsWith(`media-platform:${m}:`)) || mine(parent);
    };
    return run.resources.filter((r) => r.custom && mine(r));
}

/** The Kubernetes object a resource registers, by kind and metadata.name. */
export function object(run: StackRun, kind: string, name: string): Record<string, any> {
    const found = run.resources.filter((r) => r.inputs.kind === kind && r.inputs.metadata?.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
    return found[0].inputs;
}

export const workloadsOf = (run: StackRun) =>
    run.resources.filter((r) => ["Deployment", "StatefulSet"].includes(r.inputs.kind)).map((r) => r.inputs);

export const envOf = (container: any, name: string): string | undefined => container.env?.find((e: any) => e.name === name)?.value;

/** Sidekiq process sets from the registered Deployments' args. */
export function queueServersFrom(run: StackRun): QueueServer[] {
    const out: QueueServer[] = [];
    for (const d of workloadsOf(run)) {
        for (const c of d.spec.template.spec.containers) {
            const sk = parseSidekiqArgs(c.args);
            if (sk) out.push({ name: d.metadata.name, replicas: d.spec.replicas, threads: sk.threads, queues: sk.queues });
        }
    }
    return out;
}

/** Queue load from the capacity annotation the Sidekiq Deployments carry. */
export function queueLoadsFrom(run: StackRun): QueueLoad[] {
    const withLoad = workloadsOf(run).find((d) => d.metadata.annotations?.[QUEUE_LOAD_ANNOTATION]);
    return withLoad ? JSON.parse(withLoad.metadata.annotations[QUEUE_LOAD_ANNOTATION]) : [];
}

/** Connection tiers from env (WEB_CONCURRENCY, MAX_THREADS, DB_POOL) and Sidekiq args. */
export function connectionTiersFrom(run: StackRun): AppConnectionTiers {
    const tiers: AppConnectionTiers = { web: [], streaming: [], workers: [] };
    for (const d of workloadsOf(run)) {
        const containers = d.spec.template.spec.containers;
        for (const c of containers) {
            const n = (k: string) => parseInt(envOf(c, k) ?? "NaN", 10);
            const sk = parseSidekiqArgs(c.args);
            if (sk) tiers.workers.push({ name: d.metadata.name, replicas: d.spec.replicas, threads: sk.threads });
            else if (c.args?.includes("puma")) tiers.web.push({ replicas: d.spec.replicas, processes: n("WEB_CONCURRENCY"), threads: n("MAX_THREADS") });
            else if (c.args?.includes("./streaming")) tiers.streaming.push({ replicas: d.spec.replicas, processes: 1, dbPool: n("DB_POOL") });
        }
    }
    return tiers;
}

/** PgBouncer and Postgres sizing from the Pooler and Cluster specs. */
export function databaseFrom(run: StackRun): { pooler: PoolerSize; postgres: PostgresSize } {
    const pooler = run.ofType("kubernetes:postgresql.cnpg.io/v1:Pooler")[0].inputs;
    const cluster = run.ofType("kubernetes:postgresql.cnpg.io/v1:Cluster")[0].inputs;
    const params = cluster.spec.postgresql.parameters;
    return {
        pooler: {
            instances: pooler.spec.instances,
            poolMode: pooler.spec.pgbouncer.poolMode,
            ...pgbouncerSizing(pooler.spec.pgbouncer.parameters),
            userDatabasePairs: parseInt(pooler.metadata.annotations[USER_DATABASE_PAIRS_ANNOTATION], 10),
        },
        postgres: { maxConnections: parseInt(params.max_connections, 10), reservedConnections: parseInt(params.superuser_reserved_connections, 10) },
    };
}
