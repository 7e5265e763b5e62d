// The whole platform's config: one zod schema, one section per top-level Pulumi config key.
import { z } from "zod";
import { clusterSchema, environmentSchema } from "./cluster";
import { dataSchema } from "./data";
import { edgeSchema } from "./edge";
import { duration } from "./fields";
import { fluxSchema } from "./flux";
import { mediaSchema } from "./media";
import { nodePoolsSchema } from "./nodePools";
import { storageSchema } from "./storage";
import { tenantsSchema } from "./tenants";
import { workloadsSchema } from "./workloads";

/** Pulumi project name; config keys are `media-platform:<section>`. */
export const PROJECT = "media-platform";

export const platformSchema = z.strictObject({
    /** dev | prod | homelab. */
    environment: environmentSchema,
    /** Where the platform runs. */
    cluster: clusterSchema,
    /** Node pools by role (storage nodes are declared under storage). */
    nodePools: nodePoolsSchema,
    /** Ceph storage nodes and daemons. */
    storage: storageSchema,
    /** Postgres, PgBouncer and Redis. */
    data: dataSchema,
    /** Web, streaming, workers and the scheduler. */
    workloads: workloadsSchema,
    /** Proxy and DNS. */
    edge: edgeSchema,
    /** Media bucket and CDN. */
    media: mediaSchema,
    /** Flux shards. */
    flux: fluxSchema,
    /** Tenant registry, lock file and rendered tree. */
    tenants: tenantsSchema,
    /** Daily maintenance window the busiest shard's rollout must fit, e.g. "1h". */
    maintenanceWindow: duration(),
});

export type PlatformConfig = z.output<typeof platformSchema>;
