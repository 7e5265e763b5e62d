// Where the tenant registry lives and where its GitOps tree is rendered; plans size tenant quotas.
import { z } from "zod";
import { dnsLabel, expecting, int, num, str } from "./fields";

const path = () => expecting(str({ min: 1 }), "a path (relative to the project root, or absolute)");

export const planSchema = z.strictObject({
    /** CPU quota in cores. */
    cpu: num({ gt: 0 }),
    /** Memory quota in GiB. */
    memoryGiB: num({ gt: 0 }),
    /** Storage quota in GiB. */
    storageGiB: num({ gt: 0 }),
    /** Pod quota. */
    pods: int({ min: 1 }),
});

export const tenantsSchema = z.strictObject({
    /** Tenant registry file, relative to the project (or an absolute path for an operator's own repository). */
    registry: path(),
    /** Shard lock file. Default: beside the registry, `<registry>.lock.yaml`. */
    lock: path().optional(),
    /** Folder the tenant tree is rendered to. */
    renderDirectory: path(),
    /** Plans by name; every tenant's plan must be one of them. */
    plans: expecting(z.record(dnsLabel(), planSchema), "a map of plan name → {cpu, memoryGiB, storageGiB, pods}"),
});
export type TenantsConfig = z.output<typeof tenantsSchema>;
