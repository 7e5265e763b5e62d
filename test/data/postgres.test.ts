// Postgres on CloudNativePG behind PgBouncer, and the operator through Flux, as the stacks register them.
import { postgresClusterSpec } from "../../components/data/postgres";
import { connectionBudgetsOf } from "../../policies/rules/data";
import { policyResources } from "../../stacks/resources";
import { runStack, type StackRun } from "../harness";
import { manifestOf, schemaErrors } from "../schema/validate";
import { object } from "../workloads/read";

let prod: StackRun;
let homelab: StackRun;
beforeAll(async () => {
    prod = await runStack("prod");
    homelab = await runStack("homelab");
});

describe("Postgres (CloudNativePG)", () => {
    it("declares instances, Ceph block storage and an explicit max_connections", () => {
        const spec = object(prod, "Cluster", "postgres").spec;
        expect(spec.instances).toBe(3);
        expect(spec.storage).toEqual({ size: "500Gi", storageClass: prod.config.storage.blockPool.storageClass });
        expect(spec.postgresql.parameters).toMatchObject({ max_connections: "400", superuser_reserved_connections: "3", shared_buffers: "8192MB" });
        expect(spec.resources.requests.memory).toBe(spec.resources.limits.memory);
        expect(spec.enablePDB).toBe(true);
        // A single instance gets no PDB: it would block every node drain.
        const single = { ...prod.config.data, postgres: { ...prod.config.data.postgres, instances: 1 } };
        expect(postgresClusterSpec({ data: single, storageClass: "ceph-block", role: "data" }).enablePDB).toBe(false);
    });

    it("is protected and retained: a refactor can never delete the database", () => {
        const cluster = prod.one("postgres-cluster");
        expect(cluster.protect).toBe(true);
        expect(cluster.retainOnDelete).toBe(true);
    });

    it("runs on the data nodes, tolerating their taint, never beside queue workers", () => {
        const affinity = object(homelab, "Cluster", "postgres").spec.affinity;
        expect(affinity.nodeSelector).toEqual({ "media-platform.io/role": "data" });
        expect(affinity.tolerations).toEqual([{ key: "media-platform.io/dedicated", operator: "Equal", value: "data", effect: "NoSchedule" }]);
        const away = affinity.additionalPodAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
        expect(away.labelSelector.matchExpressions[0]).toEqual({ key: "media-platform.io/tier", operator: "In", values: ["workers", "scheduler"] });
    });

    it("puts PgBouncer in transaction mode with the configured pool sizes, and a PDB across its pods", () => {
        const spec = object(prod, "Pooler", "postgres-pooler-rw").spec;
        expect(spec).toMatchObject({ cluster: { name: "postgres" }, instances: 3, type: "rw" });
        expect(spec.pgbouncer).toEqual({ poolMode: "transaction", parameters: { default_pool_size: "100", max_client_conn: "1000" } });
        expect(object(prod, "PodDisruptionBudget", "postgres-pooler-rw").spec.selector.matchLabels).toEqual({ "cnpg.io/poolerName": "postgres-pooler-rw" });
        // One pooler pod: nothing to keep available during a drain.
        expect(() => object(homelab, "PodDisruptionBudget", "postgres-pooler-rw")).toThrow(/found 0/);
    });

    it("installs the operator with a Flux HelmRelease of the cloudnative-pg chart; the stack owns its CRDs", () => {
        const release = object(prod, "HelmRelease", "cloudnative-pg");
        expect(release.spec.chart.spec).toEqual({ chart: "cloudnative-pg", version: prod.config.data.postgres.operatorChartVersion, sourceRef: { kind: "HelmRepository", name: "cloudnative-pg" } });
        expect(release.spec.install).toMatchObject({ createNamespace: true, crds: "Skip" });
        expect(release.spec.values).toEqual({ crds: { create: false } });
        expect(release.spec.serviceAccountName).toBe("helm-controller");
        expect(release.metadata.namespace).toBe(prod.config.flux.namespace);
        expect(object(prod, "HelmRepository", "cloudnative-pg").spec.url).toBe("https://cloudnative-pg.github.io/charts");
        expect(prod.one("postgres-cluster").dependencies).toContain(prod.one("postgres-crd-clusters.postgresql.cnpg.io").urn);
        expect(prod.one("postgres-crd-clusters.postgresql.cnpg.io").protect).toBe(true);
    });

    it("the connection budget read from the registered objects is the stack file's arithmetic", () => {
        const budgets = (run: StackRun) => Object.fromEntries(connectionBudgetsOf(policyResources(run.resources)).map((b) => [b.id, [b.used, b.limit]]));
        // prod: web 6 × 2 × 5 = 60, streaming 3 × 10 = 30, workers 3 × 25 + 4 × 25 = 175, scheduler 5 → 270
        // clients for max_client_conn 1000 × 3 PgBouncers; default_pool_size 100 × 3 × 1 pair = 300 for 400 − 3.
        expect(budgets(prod)).toEqual({ "data.connections.clients.postgres-pooler-rw": [270, 3000], "data.connections.server.postgres-pooler-rw": [300, 397] });
        // homelab: web 2 × 2 × 5 = 20, streaming 10, workers 25 + 2 × 10, scheduler 5 → 80 clients for 200;
        // default_pool_size 40 × 1 = 40 server connections for 100 − 3.
        expect(budgets(homelab)).toEqual({ "data.connections.clients.postgres-pooler-rw": [80, 200], "data.connections.server.postgres-pooler-rw": [40, 97] });
    });

    it("backs up to object storage per stack: base backups on a ScheduledBackup, WAL archived, a retention; valid against the CRDs", async () => {
        // homelab: off-site (Backblaze B2) with the operator's Secret; prod: its own S3 bucket; dev: the media bucket on RGW.
        const homelabBackup = object(homelab, "Cluster", "postgres").spec.backup;
        expect(homelabBackup).toEqual({
            barmanObjectStore: {
                destinationPath: "s3://homelab-pg-backups/media-platform",
                endpointURL: "https://s3.eu-central-003.backblazeb2.com",
                s3Credentials: { accessKeyId: { name: "postgres-backup", key: "ACCESS_KEY_ID" }, secretAccessKey: { name: "postgres-backup", key: "ACCESS_SECRET_KEY" } },
                wal: { compression: "gzip" },
                data: { compression: "gzip" },
            },
            retentionPolicy: "30d",
        });
        expect(object(prod, "Cluster", "postgres").spec.backup.barmanObjectStore).not.toHaveProperty("endpointURL");
        const dev = await runStack("dev");
        expect(object(dev, "Cluster", "postgres").spec.backup).toMatchObject({
            barmanObjectStore: { destinationPath: "s3://media.dev.localhost/postgres", endpointURL: "http://rook-ceph-rgw-media.rook-ceph.svc:80", s3Credentials: { accessKeyId: { name: "media-bucket", key: "AWS_ACCESS_KEY_ID" } } },
            retentionPolicy: "7d",
        });
        for (const run of [prod, homelab, dev]) {
            const scheduled = object(run, "ScheduledBackup", "postgres-backup");
            expect(scheduled.spec).toEqual({ schedule: "0 0 3 * * *", cluster: { name: "postgres" }, method: "barmanObjectStore", immediate: true, backupOwnerReference: "self" });
            expect(schemaErrors(manifestOf(scheduled))).toEqual([]);
            expect(schemaErrors(manifestOf(object(run, "Cluster", "postgres")))).toEqual([]);
            expect(run.one("postgres-scheduled-backup").dependencies).toContain(run.one("postgres-cluster").urn);
        }
        // Without backup config: neither (the policy pack refuses that, postgres-backups).
        expect(postgresClusterSpec({ data: prod.config.data, storageClass: "ceph-block", role: "data" })).not.toHaveProperty("backup");
    });

    it.each<[string, (b: Record<string, any>, c: Record<string, any>) => void, string]>([
        ["media as the target on S3 media", (b) => Object.assign(b, { target: "media", destinationPath: undefined, credentialsSecret: undefined }), 'data.postgres.backup.target: expected "s3" with credentials of its own when media.provider is "s3"'],
        ["s3 without a destination", (b) => delete b.destinationPath, "data.postgres.backup.destinationPath: expected an object store path such as s3://pg-backups/media when target is s3, got nothing"],
        ["a five-field cron", (b) => (b.schedule = "0 3 * * *"), 'data.postgres.backup.schedule: expected a six-field cron with seconds first such as "0 0 3 * * *", or @daily, got "0 3 * * *"'],
        ["a retention in hours", (b) => (b.retention = "48h"), 'data.postgres.backup.retention: expected a retention such as "30d", "4w" or "3m", got "48h"'],
    ])("refuses %s in the backup config, naming the path", async (_what, change, expected) => {
        const run = runStack("prod", {
            mutate: (c) => {
                const b = c["media-platform:data"].postgres.backup;
                change(b, c);
                for (const k of Object.keys(b)) if (b[k] === undefined) delete b[k];
            },
        });
        await expect(run).rejects.toThrow(expected);
    });
});
