// Postgres (CloudNativePG) behind PgBouncer, and Redis split into a cache tier and a queue tier.
import { z } from "zod";
import { redisMaxmemoryFractionFitting } from "../capacity/memory";
import { dnsName, expecting, fraction, image, int, MAX_NODE_CPU, MAX_NODE_MEMORY_GIB, MAX_VOLUME_GIB, num, oneOf } from "./fields";

/** Base backups and WAL of the database to object storage (CloudNativePG's barmanObjectStore), and their schedule. */
export const postgresBackupSchema = z.strictObject({
    /**
     * media: the stack's media bucket (Ceph RGW), under postgres/, with the bucket claim's own credentials; s3: an
     * S3-compatible store of its own (AWS S3 when no endpointURL), with credentials in a Secret the operator creates.
     */
    target: oneOf(["media", "s3"] as const),
    /** s3: where the backups go, s3://<bucket>/<prefix>. */
    destinationPath: expecting(z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9._\-/]*)?$/), "an object store path such as s3://pg-backups/media").optional(),
    /** s3: the store's endpoint when it is not AWS S3 (Backblaze B2, a NAS's MinIO, …). Default: AWS S3. */
    endpointURL: expecting(z.string().regex(/^https?:\/\/[^\s/@]+(:\d{1,5})?\/?$/), "an endpoint such as https://s3.eu-central-003.backblazeb2.com (no path, no credentials)").optional(),
    /** s3: the Secret in the app namespace holding the store's keys, ACCESS_KEY_ID and ACCESS_SECRET_KEY. */
    credentialsSecret: dnsName().optional(),
    /** Base backups: a six-field cron (seconds first, as ScheduledBackup takes it) or @daily. Default "0 0 3 * * *", 03:00 daily. */
    schedule: expecting(z.string().regex(/^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|([0-9*/,?LW#A-Za-z-]+\s+){5}[0-9*/,?LW#A-Za-z-]+)$/), 'a six-field cron with seconds first such as "0 0 3 * * *", or @daily').default("0 0 3 * * *"),
    /** How long base backups and WAL are kept (CloudNativePG retentionPolicy: <n>d, <n>w or <n>m). Default 30d. */
    retention: expecting(z.string().regex(/^[1-9][0-9]*[dwm]$/), 'a retention such as "30d", "4w" or "3m"').default("30d"),
});
export type PostgresBackupConfig = z.output<typeof postgresBackupSchema>;

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
    /** Backups to object storage; the policy pack refuses a database without them (postgres-backups). Default: none. */
    backup: postgresBackupSchema.optional(),
    /** CloudNativePG operator chart version, installed through Flux. Default 0.29.0 (operator 1.30.0, the CRDs in schemas/crds; cloudnative-pg.io/charts index.yaml). */
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
