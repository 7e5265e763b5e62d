// Where the tenant registry lives and where its GitOps tree is rendered; plans size tenant quotas.
import { z } from "zod";
import type { ConfigProblem } from "./errors";
import { renderValue } from "./errors";
import { dnsLabel, duration, expecting, int, MAX_NODE_CPU, MAX_NODE_MEMORY_GIB, MAX_VOLUME_GIB, num, oneOf, str } from "./fields";

const path = () => expecting(str({ min: 1 }), "a path (relative to the project root, or absolute)");

export const planSchema = z.strictObject({
    /** CPU quota in cores (sum of the tenant's container CPU requests). */
    cpu: num({ gt: 0, max: MAX_NODE_CPU }),
    /** Memory quota in GiB (sum of requests, and of limits). */
    memoryGiB: num({ gt: 0, max: MAX_NODE_MEMORY_GIB }),
    /** Storage quota in GiB; also the size of the tenant's data volume. */
    storageGiB: num({ gt: 0, max: MAX_VOLUME_GIB }),
    /** Pod quota. */
    pods: int({ min: 1 }),
});
export type PlanConfig = z.output<typeof planSchema>;

export const tenantsSchema = z.strictObject({
    /** Tenant registry file, relative to the project (or an absolute path for an operator's own repository). */
    registry: path(),
    /** Shard lock file. Default: beside the registry, `<registry name>.lock.yaml` (dev.yaml → dev.lock.yaml). */
    lock: path().optional(),
    /** Folder the tenant tree is rendered to. */
    renderDirectory: path(),
    /** Plans by name; every tenant's plan must be one of them. */
    plans: expecting(z.record(dnsLabel(), planSchema), "a map of plan name → {cpu, memoryGiB, storageGiB, pods}"),
    /** Plan of a tenant whose registry entry names none. Default: the first plan listed. */
    defaultPlan: dnsLabel().optional(),
    /** Namespaces whose pods may reach tenant pods (the edge proxy's). Default [media-app] (stacks/platform.ts APP_NAMESPACE). */
    ingressNamespaces: z.array(dnsLabel()).default(["media-app"]),
    /** The data volume every tenant gets, shared by its apps. */
    volume: z
        .strictObject({
            /** StorageClass; default: the cluster's default class. */
            storageClass: dnsLabel().optional(),
            /** Access mode. Default ReadWriteMany (a CephFS volume several app pods mount). */
            accessMode: oneOf(["ReadWriteMany", "ReadWriteOnce"] as const).default("ReadWriteMany"),
        })
        .prefault({}),
    /** Reconcile settings of every tenant's Kustomization and HelmRelease. */
    reconcile: z
        .strictObject({
            /** Drift-correction interval. Default 24h (ElfHosted's per-tenant HelmRelease interval, facts.md); a new commit reconciles at once. */
            interval: duration().default("24h"),
            /** HelmRelease timeout. Default 30m (ElfHosted, facts.md). */
            timeout: duration().default("30m"),
        })
        .prefault({}),
});
export type TenantsConfig = z.output<typeof tenantsSchema>;

/** The plan a tenant without one gets. */
export function defaultPlanOf(t: Pick<TenantsConfig, "plans" | "defaultPlan">): string | undefined {
    return t.defaultPlan ?? Object.keys(t.plans)[0];
}

/** Checks within the section that the schema cannot express. */
export function tenantsProblems(t: TenantsConfig): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const plans = Object.keys(t.plans);
    if (t.defaultPlan !== undefined && !plans.includes(t.defaultPlan)) {
        out.push({ path: "tenants.defaultPlan", message: `expected one of the plans (${plans.join(", ")}), got ${renderValue(t.defaultPlan)}` });
    }
    return out;
}
