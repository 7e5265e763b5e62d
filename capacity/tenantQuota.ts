// A tenant plan turned into ResourceQuota and LimitRange quantities. The quota is the plan; a container
// that states no requests or limits gets an even per-pod share of it (plan ÷ pods), so a tenant running
// its full pod quota with defaults fits exactly, and no single container may exceed the whole plan.

export interface Plan {
    cpu: number;
    memoryGiB: number;
    storageGiB: number;
    pods: number;
}

export interface PlanLimits {
    /** ResourceQuota `hard`. */
    quota: { "requests.cpu": string; "requests.memory": string; "limits.memory": string; "requests.storage": string; pods: string };
    /** LimitRange for containers: default request/limit = per-pod share, max = the plan. */
    container: { defaultRequest: { cpu: string; memory: string }; default: { memory: string }; max: { cpu: string; memory: string } };
    /** LimitRange for volume claims: at most the plan's storage. */
    claimMax: { storage: string };
    /** Size of the tenant's data volume. */
    dataVolume: string;
}

/** Cores as a Kubernetes quantity: whole cores as such, else millicores rounded down (at least 1m). */
export const cpuQuantity = (cores: number) => (Number.isInteger(cores) ? String(cores) : `${Math.max(1, Math.floor(cores * 1000))}m`);
/** GiB as a Kubernetes quantity: whole GiB as such, else MiB rounded down (at least 1Mi). */
export const memoryQuantity = (gib: number) => (Number.isInteger(gib) ? `${gib}Gi` : `${Math.max(1, Math.floor(gib * 1024))}Mi`);

export function planLimits(plan: Plan): PlanLimits {
    const storage = memoryQuantity(plan.storageGiB);
    return {
        quota: {
            "requests.cpu": cpuQuantity(plan.cpu),
            "requests.memory": memoryQuantity(plan.memoryGiB),
            "limits.memory": memoryQuantity(plan.memoryGiB),
            "requests.storage": storage,
            pods: String(plan.pods),
        },
        container: {
            defaultRequest: { cpu: cpuQuantity(plan.cpu / plan.pods), memory: memoryQuantity(plan.memoryGiB / plan.pods) },
            default: { memory: memoryQuantity(plan.memoryGiB / plan.pods) },
            max: { cpu: cpuQuantity(plan.cpu), memory: memoryQuantity(plan.memoryGiB) },
        },
        claimMax: { storage },
        dataVolume: storage,
    };
}
