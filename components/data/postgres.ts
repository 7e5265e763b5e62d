// Postgres on CloudNativePG behind its PgBouncer Pooler; the operator itself comes from a Flux HelmRelease.
import { POOLER_FACTS } from "../../contract/facts";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DataConfig, PostgresBackupConfig } from "../../config/data";
import type { MediaAppInterface } from "../media/appInterface";
import { pgbouncerParameters } from "../../capacity/connections";
import { postgresSharedBuffersMiB } from "../../capacity/memory";
import { DEFAULT_FLUX_NAMESPACE } from "../../contract/gitops";
import { installCrds } from "../crds";
import { placement, tierLabels, awayFromTiers } from "../workloads/scheduling";

/** Namespace the CloudNativePG operator is installed into. */
export const CNPG_NAMESPACE = "cnpg-system";
/** CloudNativePG's chart repository (github.com/cloudnative-pg/charts). */
export const CNPG_CHART_REPOSITORY = "https://cloudnative-pg.github.io/charts";
/** Postgres port, as the Pooler's Service exposes it. */
export const POSTGRES_PORT = 5432;

export interface PostgresArgs {
    /** Postgres and PgBouncer config (instances, storage, max_connections, pool sizes). */
    data: Pick<DataConfig, "postgres" | "pooler">;
    /** Namespace of the Cluster and Pooler (the app's, so pods can read the generated credentials Secret). */
    namespace: string;
    /** StorageClass of the Ceph block pool (storage.blockPool.storageClass). */
    storageClass: string;
    /** Node role Postgres lands on (capacity/memory placementRole); undefined: any non-dedicated node. */
    role: string | undefined;
    /** Namespace of the Flux installation, where the operator's HelmRepository and HelmRelease go. Default flux-system. */
    fluxNamespace?: string;
    /** What a Flux object needs first: the Flux installation's namespace and CRDs. Default none. */
    flux?: pulumi.Resource[];
    /** Kubernetes provider. */
    provider: k8s.Provider;
    /** Resources that must exist first (the namespace). Default none. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Backups to object storage and their schedule (postgresBackupOf). Default none: the policy pack refuses that. */
    backup?: PostgresBackup;
}

/** Where and when the database is backed up, resolved from config. */
export interface PostgresBackup {
    /** s3://<bucket>/<prefix>. */
    destinationPath: string;
    /** The store's endpoint; undefined: AWS S3. */
    endpointURL?: string;
    /** Secret in the database's namespace with the store's access key id and secret key, and their keys. */
    credentials: { secret: string; accessKeyIdKey: string; secretAccessKeyKey: string };
    /** ScheduledBackup schedule (six-field cron, seconds first). */
    schedule: string;
    /** CloudNativePG retentionPolicy, e.g. 30d. */
    retention: string;
}

/** The backup of a config: into the media bucket with its claim's credentials, or into an S3-compatible store of its own. */
export function postgresBackupOf(backup: PostgresBackupConfig | undefined, media: MediaAppInterface): PostgresBackup | undefined {
    if (!backup) return undefined;
    const when = { schedule: backup.schedule, retention: backup.retention };
    if (backup.target === "media") {
        return { destinationPath: `s3://${media.bucket}/postgres`, endpointURL: media.endpoint, credentials: { secret: media.credentialsSecret, accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" }, ...when };
    }
    // config/consistency.ts requires both for target s3.
    return { destinationPath: backup.destinationPath!, endpointURL: backup.endpointURL, credentials: { secret: backup.credentialsSecret!, accessKeyIdKey: "ACCESS_KEY_ID", secretAccessKeyKey: "ACCESS_SECRET_KEY" }, ...when };
}

/** The Cluster's spec.backup: base backups and WAL through barman-cloud (in-tree in CloudNativePG up to 1.31), compressed, kept `retention`. */
export function barmanBackupSpec(b: PostgresBackup) {
    return {
        barmanObjectStore: {
            destinationPath: b.destinationPath,
            ...(b.endpointURL ? { endpointURL: b.endpointURL } : {}),
            s3Credentials: {
                accessKeyId: { name: b.credentials.secret, key: b.credentials.accessKeyIdKey },
                secretAccessKey: { name: b.credentials.secret, key: b.credentials.secretAccessKeyKey },
            },
            wal: { compression: "gzip" },
            data: { compression: "gzip" },
        },
        retentionPolicy: b.retention,
    };
}

/** The ScheduledBackup that takes the base backups WAL replays from (without one, WAL alone restores nothing). */
export function scheduledBackupManifest(cluster: string, namespace: string, b: PostgresBackup) {
    return {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "ScheduledBackup",
        metadata: { name: `${cluster}-backup`, namespace, labels: tierLabels(`${cluster}-backup`, "postgres") },
        spec: {
            schedule: b.schedule,
            cluster: { name: cluster },
            method: "barmanObjectStore",
            // A base backup as soon as it exists, not a day later; the Backups it makes belong to it.
            immediate: true,
            backupOwnerReference: "self",
        },
    };
}

/** How the app reaches Postgres: always through PgBouncer. */
export interface PostgresConnection {
    /** The Pooler's Service host. */
    host: string;
    port: number;
    database: string;
    /** Secret CloudNativePG generates for the owner role (keys username, password). */
    credentialsSecret: string;
    poolMode: "transaction" | "session";
}

/** Names of the objects, from the component name (the Cluster takes it; the Pooler must differ from it). */
export const postgresNames = (name: string) => ({ cluster: name, pooler: `${name}-pooler-rw`, appSecret: `${name}-app` });

/** The CloudNativePG Cluster, its PgBouncer Pooler, and the operator's HelmRepository/HelmRelease. */
export class Postgres extends pulumi.ComponentResource {
    readonly connection: PostgresConnection;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("media-platform:data:Postgres", name, {}, opts);
        this.connection = createPostgres(name, args, this);
        this.registerOutputs({ connection: this.connection });
    }
}

export function postgresClusterSpec(args: Pick<PostgresArgs, "data" | "storageClass" | "role" | "backup">) {
    const pg = args.data.postgres;
    return {
        instances: pg.instances,
        ...(args.backup ? { backup: barmanBackupSpec(args.backup) } : {}),
        primaryUpdateStrategy: "unsupervised",
        storage: { size: `${pg.storageGiB}Gi`, storageClass: args.storageClass },
        postgresql: {
            parameters: {
                max_connections: String(pg.maxConnections),
                superuser_reserved_connections: String(pg.reservedConnections),
                shared_buffers: `${postgresSharedBuffersMiB(pg.memoryGiB)}MB`,
            },
        },
        bootstrap: { initdb: { database: pg.database, owner: pg.database } },
        resources: {
            requests: { memory: `${Math.round(pg.memoryGiB * 1024)}Mi`, cpu: `${Math.round(pg.cpu * 1000)}m` },
            limits: { memory: `${Math.round(pg.memoryGiB * 1024)}Mi` },
        },
        affinity: {
            ...placementForCnpg(args.role),
            enablePodAntiAffinity: true,
            topologyKey: "kubernetes.io/hostname",
            // Never beside queue workers: they compete for the same RAM (outage 3 in docs/outages.md).
            additionalPodAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [awayFromTiers(["workers", "scheduler"])] },
        },
        // A PDB on a single instance would block every node drain (CloudNativePG docs); with replicas it keeps one up.
        enablePDB: pg.instances > 1,
    };
}

/** CloudNativePG takes nodeSelector and tolerations under spec.affinity; its images are multi-arch. */
function placementForCnpg(role: string | undefined) {
    const { nodeSelector, tolerations } = placement(role, ["amd64", "arm64"]);
    return { ...(nodeSelector ? { nodeSelector } : {}), ...(tolerations ? { tolerations } : {}) };
}

export function cnpgRepositoryManifest(fluxNamespace: string) {
    return {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "HelmRepository",
        metadata: { name: "cloudnative-pg", namespace: fluxNamespace },
        spec: { url: CNPG_CHART_REPOSITORY, interval: "24h" },
    };
}

/** The CloudNativePG operator chart through Flux. */
export function cnpgOperatorManifest(chartVersion: string, fluxNamespace: string) {
    return {
        apiVersion: "helm.toolkit.fluxcd.io/v2",
        kind: "HelmRelease",
        metadata: { name: "cloudnative-pg", namespace: fluxNamespace },
        spec: {
            interval: "1h",
            releaseName: "cloudnative-pg",
            targetNamespace: CNPG_NAMESPACE,
            // The helm-controller's own account: the tenants' lockdown (--default-service-account) must not
            // leave the platform's operators without rights (as for Rook in components/storage).
            serviceAccountName: "helm-controller",
            chart: { spec: { chart: "cloudnative-pg", version: chartVersion, sourceRef: { kind: "HelmRepository", name: "cloudnative-pg" } } },
            // The stack installs CloudNativePG's CRDs (components/crds.ts): the chart must not own them too.
            install: { createNamespace: true, crds: "Skip", remediation: { retries: 3 } },
            upgrade: { crds: "Skip", remediation: { retries: 3 } },
            values: { crds: { create: false } },
        },
    };
}

function createPostgres(name: string, args: PostgresArgs, parent: pulumi.ComponentResource): PostgresConnection {
    const opts = { parent, provider: args.provider };
    const names = postgresNames(name);
    const pg = args.data.postgres;
    const pooler = args.data.pooler;

    const fluxNamespace = args.fluxNamespace ?? DEFAULT_FLUX_NAMESPACE;
    const crds = installCrds(name, "cnpg", parent, args.provider);
    const repository = new k8s.apiextensions.CustomResource(`${name}-operator-repository`, cnpgRepositoryManifest(fluxNamespace), { ...opts, dependsOn: args.flux ?? [] });
    new k8s.apiextensions.CustomResource(`${name}-operator`, cnpgOperatorManifest(pg.operatorChartVersion, fluxNamespace), {
        ...opts,
        dependsOn: [repository, ...(args.flux ?? [])],
    });

    // The Cluster and Pooler need their CRDs, not a running operator: it reconciles them once Flux has installed it.
    const after = [...crds, ...(args.dependsOn ?? [])];
    const cluster = new k8s.apiextensions.CustomResource(
        `${name}-cluster`,
        {
            apiVersion: "postgresql.cnpg.io/v1",
            kind: "Cluster",
            metadata: { name: names.cluster, namespace: args.namespace, labels: tierLabels(names.cluster, "postgres") },
            spec: postgresClusterSpec(args),
        },
        // The database holds every account and post: a refactor must never delete it.
        { ...opts, dependsOn: after, protect: true, retainOnDelete: true },
    );

    if (args.backup) {
        new k8s.apiextensions.CustomResource(`${name}-scheduled-backup`, scheduledBackupManifest(names.cluster, args.namespace, args.backup), { ...opts, dependsOn: [cluster] });
    }

    new k8s.apiextensions.CustomResource(
        `${name}-pooler`,
        {
            apiVersion: "postgresql.cnpg.io/v1",
            kind: "Pooler",
            metadata: {
                name: names.pooler,
                namespace: args.namespace,
                labels: tierLabels(names.pooler, "pgbouncer"),
                annotations: POOLER_FACTS.encode({ userDatabasePairs: pooler.userDatabasePairs }),
            },
            spec: {
                cluster: { name: names.cluster },
                instances: pooler.instances,
                type: "rw",
                pgbouncer: { poolMode: pooler.poolMode, parameters: pgbouncerParameters(pooler) },
            },
        },
        { ...opts, dependsOn: [cluster] },
    );

    if (pooler.instances > 1) {
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pooler-pdb`,
            {
                metadata: { name: names.pooler, namespace: args.namespace, labels: tierLabels(names.pooler, "pgbouncer") },
                spec: { maxUnavailable: 1, selector: { matchLabels: { "cnpg.io/poolerName": names.pooler } } },
            },
            { ...opts, dependsOn: after },
        );
    }

    return {
        host: `${names.pooler}.${args.namespace}.svc.cluster.local`,
        port: POSTGRES_PORT,
        database: pg.database,
        credentialsSecret: names.appSecret,
        poolMode: pooler.poolMode,
    };
}
