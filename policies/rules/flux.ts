// Flux (outages 2 and 5): the busiest shard's predicted rollout fits the maintenance window, every sharded
// object's source carries the same shard, every controller runs with the multi-tenancy lockdown flags, and
// tenant namespaces and volumes can never be pruned.
import { rule, type PolicyResource } from "../framework";
import { argvOf, containersOf, flagValue, kindOf, metaName, namespaceOf, workloads } from "../k8s";

/** Which Flux controller a container runs, from its image (ghcr.io/fluxcd/<controller>:<tag>). */
export function fluxControllerOf(image: string | undefined): string | undefined {
    const m = /(?:^|\/)fluxcd\/([a-z-]+-controller)(?::|@|$)/.exec(image ?? "");
    return m?.[1];
}

/**
 * The lockdown each controller needs (Flux docs, configuration/multitenancy): no cross-namespace references
 * (kustomize-, helm-, notification-, image-*-controller), no remote bases (kustomize-controller) and a
 * default service account for impersonation (kustomize-, helm-controller).
 */
export function lockdownFlags(controller: string, defaultServiceAccount: string): Record<string, string> {
    const flags: Record<string, string> = {};
    if (["kustomize-controller", "helm-controller", "notification-controller", "image-reflector-controller", "image-automation-controller"].includes(controller)) {
        flags["--no-cross-namespace-refs"] = "true";
    }
    if (controller === "kustomize-controller") flags["--no-remote-bases"] = "true";
    if (controller === "kustomize-controller" || controller === "helm-controller") flags["--default-service-account"] = defaultServiceAccount;
    return flags;
}

/** Every Flux controller container in the stack: workload, container, controller name, command line. */
export function fluxControllers(resources: PolicyResource[]): { w: PolicyResource; container: string; controller: string; argv: string[] }[] {
    const out: { w: PolicyResource; container: string; controller: string; argv: string[] }[] = [];
    for (const w of workloads(resources)) {
        for (const c of containersOf(w)) {
            const controller = fluxControllerOf(c.image);
            if (controller) out.push({ w, container: c.name, controller, argv: argvOf(c) });
        }
    }
    return out;
}

export const lockdown = rule<{ defaultServiceAccount: string }>({
    name: "flux-lockdown-flags",
    family: "flux",
    description: "Every Flux controller runs with the multi-tenancy lockdown flags (no cross-namespace refs, no remote bases, a default service account).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Add to the controller's args: kustomize-controller `--no-cross-namespace-refs=true --no-remote-bases=true --default-service-account=default`, helm-controller `--no-cross-namespace-refs=true --default-service-account=default` (Flux multi-tenancy lockdown). Without them a tenant's Kustomization can reach another tenant's namespace or run as the controller's cluster-admin account.",
    config: {
        defaultServiceAccount: { type: "string", default: "default", description: "Service account controllers impersonate when an object names none." },
    },
    checkResource(r, config, report) {
        for (const { w, container, controller, argv } of fluxControllers([r])) {
            for (const [flag, want] of Object.entries(lockdownFlags(controller, config.defaultServiceAccount))) {
                const got = flagValue(argv, flag);
                if (got !== want && !(got === true && want === "true")) {
                    report(`${kindOf(w)} ${namespaceOf(w) ?? ""}/${metaName(w)} (${controller}, container ${container}) runs ${got === undefined ? `without ${flag}` : `with ${flag}=${got}`}; expected ${flag}=${want}.`);
                }
            }
        }
    },
});

export const rules = [lockdown];
