// Postgres (CloudNativePG) behind PgBouncer, and Redis split into a cache tier and a queue tier.
import { z } from "zod";
import { redisMaxmemoryFractionFitting } from "../capacity/memory";
import { expecting, fraction, image, int, MAX_NODE_CPU, MAX_NODE_MEMORY_GIB, MAX_VOLUME_GIB, num, oneOf } from "./fields";

export const postgresSchema = z.strictObject({
    /** Postgres instances (1 primary + replicas). Default 2. */
    instances: int({ min: 1, max: 9 }).default(2),
    /** Volume per instance in GiB, on the Ceph block StorageClass. */
    storageGiB: num({ min: 1, max: MAX_VOLUME_GIB }),
    /** Postgres max_connections; always explicit. */
    maxConnections: int({ min: 10 }),
    /** superuser_reserved_connections. Default 3 (Postgres default). */
    reservedConnections: int({ min: 0 }).default(3),
    /** Memory request and limit per instance in GiB. */
    memoryGiB: num({ gt: 0, max: MAX_NODE_MEMORY_GIB }),
    /** CPU request per instance in cores. Default 1. */
    cpu: num({ gt: 0, max: MAX_NODE_CPU }).default(1),
    /** Database and owner role the app uses. Default mastodon. */
    database: expecting(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/), "a Postgres identifier such as mastodon").default("mastodon"),
    /** CloudNativePG operator chart version, installed through Flux. Default 0.29.0 (operator 1.30.0, the CRDs in ../shared/crds; cloudnative-pg.io/charts index.yaml). */
    operatorChartVersion: expecting(z.string().regex(/^\d+\.\d+\.\d+$/), "a chart version such as 0.29.0").default("0.29.0"),
});

export const poolerSchema = z.strictObject({
    /** PgBouncer pods. Default 2. */
    instances: int({ min: 1 }).default(2),
    /** Pool mode; transaction needs prepared statements off. Default transaction. */
    poolMode: oneOf(["transaction", "session"] as const).default("transaction"),
    /** default_pool_size: server connections per user/database pair, per PgBouncer pod. */
    defaultPoolSize: int({ min: 1 }),
    /** max_client_conn: client connections each PgBouncer pod accepts. */
    maxClientConn: int({ min: 1 }),
    /** User/database pairs that get a pool of their own. Default 1 (the app connects as one role to one database). */
    userDatabasePairs: int({ min: 1 }).default(1),
});

const redisTier = {
    /** Memory request and limit per Redis pod in MiB; maxmemory is a fraction of it. */
    memoryMiB: int({ min: 64, max: MAX_NODE_MEMORY_GIB * 1024 }),
};

export const redisSchema = z.strictObject({
    /** Redis image (both tiers). Default docker.io/library/redis:7.4.2, a multi-arch manifest list. */
    image: image().default({ repository: "docker.io/library/redis", tag: "7.4.2", multiArch: true }),
    /** Cache tier: maxmemory with LRU eviction, no persistence (replacing it empties it). */
    cache: z.strictObject({
        ...redisTier,
        /** Eviction policy. Default allkeys-lru. */
        maxmemoryPolicy: oneOf(["allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"] as const).default("allkeys-lru"),
        /** maxmemory as a fraction of the memory limit. Default 0.58: the largest whose measured peak resident memory (1.7 × maxmemory, capacity/memory) fits the limit. */
        maxmemoryFraction: fraction().default(redisMaxmemoryFractionFitting()),
    }),
    /** Queue tier: AOF persistence, noeviction. */
    queue: z.strictObject({
        ...redisTier,
        /** Persistent volume for the AOF in GiB. */
        storageGiB: num({ min: 1, max: MAX_VOLUME_GIB }),
        /** maxmemory as a fraction of the memory limit. Default 0.5 (Redis admin guide: an AOF rewrite's fork can use up to 2× the memory in use). */
        maxmemoryFraction: fraction().default(0.5),
    }),
});

export const dataSchema = z.strictObject({
    postgres: postgresSchema,
    pooler: poolerSchema,
    redis: redisSchema,
});
export type DataConfig = z.output<typeof dataSchema>;
