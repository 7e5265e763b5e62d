// Postgres (CloudNativePG) behind PgBouncer, and Redis split into a cache tier and a queue tier.
import { z } from "zod";
import { expecting, int, num, oneOf } from "./fields";

export const postgresSchema = z.strictObject({
    /** Postgres instances (1 primary + replicas). Default 2. */
    instances: int({ min: 1, max: 9 }).default(2),
    /** Volume per instance in GiB, on the Ceph block StorageClass. */
    storageGiB: num({ min: 1 }),
    /** Postgres max_connections; always explicit. */
    maxConnections: int({ min: 10 }),
    /** superuser_reserved_connections. Default 3 (Postgres default). */
    reservedConnections: int({ min: 0 }).default(3),
    /** Memory limit per instance in GiB. */
    memoryGiB: num({ gt: 0 }),
    /** CloudNativePG operator chart version, installed through Flux. Default 0.26.0 (operator 1.27). */
    operatorChartVersion: expecting(z.string().regex(/^\d+\.\d+\.\d+$/), "a chart version such as 0.26.0").default("0.26.0"),
});

export const poolerSchema = z.strictObject({
    /** PgBouncer pods. Default 2. */
    instances: int({ min: 1 }).default(2),
    /** Pool mode; transaction needs prepared statements off. Default transaction. */
    poolMode: oneOf(["transaction", "session"] as const).default("transaction"),
    /** default_pool_size: server connections per user/database pair. */
    defaultPoolSize: int({ min: 1 }),
    /** max_client_conn: client connections PgBouncer accepts. */
    maxClientConn: int({ min: 1 }),
});

const redisTier = {
    /** Memory limit per Redis pod in MiB; maxmemory is set below it. */
    memoryMiB: int({ min: 64 }),
};

export const redisSchema = z.strictObject({
    /** Cache tier: maxmemory with LRU eviction, no persistence (replacing it empties it). */
    cache: z.strictObject({
        ...redisTier,
        /** Eviction policy. Default allkeys-lru. */
        maxmemoryPolicy: oneOf(["allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"] as const).default("allkeys-lru"),
    }),
    /** Queue tier: AOF persistence, noeviction. */
    queue: z.strictObject({
        ...redisTier,
        /** Persistent volume for the AOF in GiB. */
        storageGiB: num({ min: 1 }),
    }),
});

export const dataSchema = z.strictObject({
    postgres: postgresSchema,
    pooler: poolerSchema,
    redis: redisSchema,
});
export type DataConfig = z.output<typeof dataSchema>;
