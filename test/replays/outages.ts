// The incident replays: each outage of the design, replayed as a stack file in this folder, with the shipped
// stack it starts from, the config it changes to replay the outage, and the mandatory rules that must reject it.
// The offline check, the replay-drift test and the end-to-end suite all read this one table.
import * as path from "node:path";

export interface Replay {
    /** File stem: test/replays/Pulumi.<name>.yaml. */
    name: string;
    outage: string;
    /** The shipped stack it is a copy of. */
    base: "dev" | "homelab" | "prod";
    /** Config paths it changes (without the project prefix). */
    changes: string[];
    /** Mandatory rules that must reject it. */
    rules: string[];
}

export const REPLAY_DIR = __dirname;
export const replayFile = (name: string) => path.join(REPLAY_DIR, `Pulumi.${name}.yaml`);

export const REPLAYS: Replay[] = [
    {
        name: "storage-saturation",
        outage: "1 storage network saturation",
        base: "homelab",
        changes: ["storage.nodes", "storage.filesystem.activeMds", "storage.load", "storage.recovery"],
        rules: ["storage-network-headroom", "storage-node-baseline-bandwidth"],
    },
    { name: "rollout-overrun", outage: "2 rollout overrunning the window", base: "prod", changes: ["flux.shards", "tenants.lock"], rules: ["flux-rollout-fits-window"] },
    {
        name: "rollout-cpu",
        outage: "2 rollout predicted on CPU the nodes do not have",
        base: "prod",
        changes: ["nodePools[0].instanceTypes", "nodePools[0].size"],
        rules: ["flux-rollout-cpu"],
    },
    {
        name: "db-connections",
        outage: "3 workers starving the database",
        base: "homelab",
        changes: ["workloads.workers[0].threads", "workloads.workers[0].queues"],
        rules: ["database-connection-budget", "single-scheduler"],
    },
    { name: "proxy-connections", outage: "4 proxy and DNS limits", base: "homelab", changes: ["edge.proxy", "edge.dns"], rules: ["nginx-client-capacity", "dns-autoscaler"] },
    { name: "prune-tenant-data", outage: "5 prune deleting tenant data", base: "dev", changes: ["flux.tenantPruneProtection"], rules: ["tenant-data-never-pruned"] },
    {
        name: "pi-memory",
        outage: "3 a Raspberry Pi receiving its workers and every role-less pod",
        base: "homelab",
        changes: ["flux.controllers.source", "flux.controllers.kustomize", "flux.controllers.helm"],
        rules: ["node-memory-budget"],
    },
    {
        name: "rollout-rates",
        outage: "2 a rollout that fits only at typed reconcile rates",
        base: "dev",
        changes: ["tenants.registry", "flux.reconcile"],
        rules: ["flux-rollout-fits-window"],
    },
    {
        name: "ceph-osd-domain",
        outage: "1 a pool's copies allowed on one host (failure domain osd)",
        base: "homelab",
        changes: ["storage.blockPool.failureDomain"],
        rules: ["ceph-replica-size"],
    },
    {
        name: "dev",
        outage: "policy config: a homelab stack file named dev, once checked under dev's policy config",
        base: "homelab",
        changes: ["storage.blockPool.replicas"],
        rules: ["ceph-replica-size"],
    },
    {
        name: "url-credentials",
        outage: "secrets: a token written into the tenants repository's URL",
        base: "homelab",
        changes: ["flux.tenantsRepository"],
        rules: ["no-plain-secrets"],
    },
    {
        name: "rgw-unencrypted",
        outage: "media: the Ceph RGW media bucket stored unencrypted",
        base: "dev",
        changes: ["storage.encryptedDevices"],
        rules: ["media-bucket-encrypted"],
    },
    {
        name: "backup-in-cluster",
        outage: "data: Postgres backed up onto the cluster's own Ceph",
        base: "homelab",
        changes: ["data.postgres.backup"],
        rules: ["postgres-backups"],
    },
    { name: "dns-replicas", outage: "4 DNS capped below what the cluster needs", base: "homelab", changes: ["edge.dns"], rules: ["dns-autoscaler"] },
];
