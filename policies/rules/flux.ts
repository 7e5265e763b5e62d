// Flux (outages 2 and 5): the busiest shard's predicted rollout fits the maintenance window, every sharded
// object's source carries the same shard, every controller runs with the multi-tenancy lockdown flags, and
// tenant namespaces and volumes can never be pruned.
import { CONTROLLER_RATE_FACTS, SHARD_FACTS } from "../../contract/facts";
import { MAIN_WATCH_SELECTOR, PRUNE_ANNOTATION, PRUNE_DISABLED, SHARD_LABEL, TENANT_LABEL } from "../../contract/labels";
import { FLUX_BENCHMARK, formatSeconds, shardRolloutFromFields, type ControllerSizing, type MeasuredRate } from "../../capacity/rollout";
import { rolloutCpuBudget, type RolloutCpuBudget } from "../../capacity/rolloutCpu";
import { at, guarded, known, MissingFact, reportOverBudget, rule, type PolicyResource, type RuleBudget } from "../framework";
import { annotation, annotationsOf, argvOf, containersOf, cpuCores, factsOf, flagValue, kindOf, labelsOf, metaName, namespaceOf, workloads } from "../k8s";
import { nodeGroupsOf, podGroupsOf, workloadPodGroup } from "./workloads";

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

/** Every Flux controller container in the stack (recognised by its image): the installation's and the shards'. */
export function fluxControllers(resources: PolicyResource[]): { w: PolicyResource; container: string; controller: string; argv: string[] }[] {
    const out: { w: PolicyResource; container: string; controller: string; argv: string[] }[] = [];
    for (const w of workloads(resources)) {
        for (const c of (known(at(w.props, "spec.template.spec.containers"), `containers of ${w.name}`) ?? []) as any[]) {
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

/** The shard a controller watches: `--watch-label-selector=sharding.fluxcd.io/key=<shard>` (undefined: main/none). */
export function watchedShard(argv: string[]): string | undefined {
    const sel = flagValue(argv, "--watch-label-selector");
    const m = typeof sel === "string" ? new RegExp(`^${SHARD_LABEL.replace(/\./g, "\\.")}=(.+)$`).exec(sel) : null;
    return m?.[1];
}

/** A controller's deployed sizing and measured rate, read from its Deployment. */
function controllerFields(w: PolicyResource, argv: string[], container: any): ControllerSizing & { measured: MeasuredRate; source?: string } {
    const concurrent = flagValue(argv, "--concurrent");
    // Flux's default --concurrent is 4 for helm- and kustomize-controller (Flux vertical-scaling docs).
    const concurrency = typeof concurrent === "string" ? Number(concurrent) : 4;
    const cpu = cpuCores(known(container.resources?.limits?.cpu ?? container.resources?.requests?.cpu, `CPU of ${w.name}`));
    if (cpu === undefined) throw new MissingFact(`${metaName(w)} has no CPU limit: its reconcile rate cannot be predicted`);
    const rate = factsOf(CONTROLLER_RATE_FACTS, w, "its measured reconcile rate is unknown");
    return {
        concurrency,
        cpu,
        measured: { perSecond: rate.perSecond, concurrency: rate.measuredConcurrency, cpu: rate.measuredCpu },
        source: rate.source,
    };
}

/** The most the pack credits one controller: its threshold rate at flux-benchmark's concurrency and CPU. */
export interface RateCeilings {
    maxKustomizationsPerSecond: number;
    maxHelmReleasesPerSecond: number;
}

/** flux-benchmark's published rates (capacity/rollout FLUX_BENCHMARK): the default ceilings. */
export const BENCHMARK_CEILINGS: RateCeilings = { maxKustomizationsPerSecond: FLUX_BENCHMARK.kustomizationsPerSecond, maxHelmReleasesPerSecond: FLUX_BENCHMARK.helmReleasesPerSecond };

function ceilingsOf(c: RateCeilings): { kustomize: MeasuredRate; helm: MeasuredRate } {
    return {
        kustomize: { perSecond: c.maxKustomizationsPerSecond, concurrency: FLUX_BENCHMARK.kustomizeConcurrency, cpu: FLUX_BENCHMARK.cpu },
        helm: { perSecond: c.maxHelmReleasesPerSecond, concurrency: FLUX_BENCHMARK.helmConcurrency, cpu: FLUX_BENCHMARK.cpu },
    };
}

const isFlux = (r: PolicyResource, kind: string, group: string) => kindOf(r) === kind && r.type.startsWith(`kubernetes:${group}/`);
const shardOf = (r: PolicyResource): string | undefined => labelsOf(r)[SHARD_LABEL];

/** A shard's predicted rollout: `seconds` as the pack credits it, `claimedSeconds` at the stack's own rates. */
export type ShardRollout = RuleBudget & { shard: string; seconds: number; claimedSeconds: number; windowSeconds: number; sources: string[] };

/**
 * Each shard's predicted rollout (seconds) against the window, from its root Kustomization and its controllers,
 * every controller's rate credited at most the pack's ceiling (default flux-benchmark's).
 */
export function shardRollouts(resources: PolicyResource[], maxWindowMinutes: number, ceilings: RateCeilings = BENCHMARK_CEILINGS): ShardRollout[] {
    const controllers = fluxControllers(resources).map((c) => ({ ...c, shard: watchedShard(c.argv) }));
    const ceiling = ceilingsOf(ceilings);
    const out: ShardRollout[] = [];
    for (const k of resources.filter((r) => isFlux(r, "Kustomization", "kustomize.toolkit.fluxcd.io"))) {
        const shard = shardOf(k);
        // A shard's root Kustomization carries its load; other Kustomizations of a shard carry none.
        if (shard === undefined || annotation(k, SHARD_FACTS.keys.tenants) === undefined) continue;
        const { tenants, helmReleases, maintenanceWindowSeconds: declared } = factsOf(SHARD_FACTS, k, "its shard's rollout is unknown");
        const of = (controller: string) => {
            const c = controllers.find((x) => x.shard === shard && x.controller === controller);
            if (!c) throw new MissingFact(`no ${controller} in the stack watches ${SHARD_LABEL}=${shard}, so shard ${shard} is never reconciled`);
            const container = (at(c.w.props, "spec.template.spec.containers") as any[]).find((x) => x.name === c.container);
            return controllerFields(c.w, c.argv, container);
        };
        const kustomize = of("kustomize-controller");
        const helm = of("helm-controller");
        const claimedSeconds = shardRolloutFromFields({ tenants, helmReleases, kustomize, helm });
        const seconds = shardRolloutFromFields({ tenants, helmReleases, kustomize: { ...kustomize, ceiling: ceiling.kustomize }, helm: { ...helm, ceiling: ceiling.helm } });
        const sources = [...new Set([kustomize.source, helm.source].filter((s): s is string => s !== undefined))];
        const windowSeconds = Math.min(declared ?? Infinity, maxWindowMinutes * 60);
        out.push({
            id: `flux.rollout.${shard}`,
            title: `rollout of shard ${shard} (${tenants} tenants, ${helmReleases} HelmReleases) against the maintenance window`,
            used: Math.round((seconds / 60) * 10) / 10,
            limit: Math.round((windowSeconds / 60) * 10) / 10,
            unit: "min",
            urn: k.urn,
            shard,
            seconds,
            claimedSeconds,
            windowSeconds,
            sources,
        });
    }
    return out;
}

export const rolloutWindow = rule<{ maxWindowMinutes: number } & RateCeilings>({
    name: "flux-rollout-fits-window",
    family: "flux",
    description:
        "The busiest Flux shard's predicted rollout (its tenants' Kustomizations and HelmReleases at its controllers' concurrency, each controller credited at most the pack's rate threshold) fits the maintenance window.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Add shards (flux.shards; `platform shards plan --window 1h` prints the smallest count that fits) or give the shard controllers more concurrency and CPU (flux.controllers). Typing faster reconcile rates (flux.reconcile) does not help: the pack credits at most its own threshold per controller (maxKustomizationsPerSecond, maxHelmReleasesPerSecond in the policy config), raised only in a reviewed change of the policy config backed by a measurement. Outage 2: the daily rollout overran the 1 h window until 26 shards cut it to 15 min.",
    config: {
        maxWindowMinutes: {
            type: "number",
            exclusiveMinimum: 0,
            default: 60,
            description: "Longest window the policy accepts, in minutes (a stack's own maintenanceWindow may only be shorter). Default 60: outage 2 in docs/outages.md.",
        },
        maxKustomizationsPerSecond: {
            type: "number",
            exclusiveMinimum: 0,
            default: BENCHMARK_CEILINGS.maxKustomizationsPerSecond,
            description: "Most Kustomizations per second the pack credits one kustomize-controller, at --concurrent=20 and 2 CPU. Default 4: flux-benchmark (1000 in 4m16s).",
        },
        maxHelmReleasesPerSecond: {
            type: "number",
            exclusiveMinimum: 0,
            default: BENCHMARK_CEILINGS.maxHelmReleasesPerSecond,
            description: "Most HelmReleases per second the pack credits one helm-controller, at --concurrent=10 and 2 CPU. Default 2: flux-benchmark (1000 in 8m12s).",
        },
    },
    checkStack(resources, config, report) {
        guarded(report, undefined, () =>
            reportOverBudget(shardRollouts(resources, config.maxWindowMinutes, config), report, (b) => {
                const r = b as ShardRollout;
                const credited =
                    r.claimedSeconds < r.seconds
                        ? ` (the stack's reconcile rates${r.sources.length ? ` (source: ${r.sources.join("; ")})` : ""} would say ${formatSeconds(r.claimedSeconds)}; the pack credits at most ${config.maxKustomizationsPerSecond} Kustomizations/s and ${config.maxHelmReleasesPerSecond} HelmReleases/s per controller at flux-benchmark's concurrency and CPU)`
                        : "";
                return `${b.title}: predicted ${formatSeconds(r.seconds)}${credited}, window ${formatSeconds(r.windowSeconds)}.`;
            }),
        );
    },
    budgets(resources, config) {
        const all = shardRollouts(resources, config.maxWindowMinutes, config);
        if (all.length === 0) return [];
        const busiest = all.reduce((a, b) => (b.seconds > a.seconds ? b : a));
        const { shard: _s, seconds: _x, claimedSeconds: _c, windowSeconds: _w, sources: _r, ...budget } = busiest;
        return [{ ...budget, id: "flux.rollout.busiest", title: `busiest shard's rollout (${busiest.shard} of ${all.length}) against the maintenance window` }];
    },
});

/**
 * The rollout CPU budget (capacity/rolloutCpu) from registered resources: the shard controller Deployments at
 * their CPU limits and placement (nodeSelector, arch affinity), every other pod group at its requests, and the
 * nodes (NodePatches, EKS node groups at desired size). Undefined when the stack runs no shard controller.
 */
export function rolloutCpuOf(resources: PolicyResource[]): (RolloutCpuBudget & RuleBudget) | undefined {
    const shardWorkloads = new Map<string, PolicyResource>();
    for (const c of fluxControllers(resources)) if (watchedShard(c.argv) !== undefined) shardWorkloads.set(c.w.urn, c.w);
    if (shardWorkloads.size === 0) return undefined;
    const controllers = [...shardWorkloads.values()].map((w) => ({
        ...workloadPodGroup(w),
        cpu: containersOf(w).reduce((sum, c) => {
            const limit = cpuCores(known(c.resources?.limits?.cpu, `CPU limit of ${w.name}`));
            if (limit === undefined) throw new MissingFact(`${metaName(w)} (container ${c.name}) has no CPU limit: the CPU its shard's rollout counts on is unknown`);
            return sum + limit;
        }, 0),
    }));
    const others = podGroupsOf(resources.filter((r) => !shardWorkloads.has(r.urn)));
    return { ...rolloutCpuBudget(controllers, others, nodeGroupsOf(resources)), urn: shardWorkloads.keys().next().value };
}

export const rolloutCpu = rule<Record<string, never>>({
    name: "flux-rollout-cpu",
    family: "flux",
    description:
        "The nodes the Flux shard controllers run on have the CPU the rollout prediction counts on: every controller at its CPU limit at once, plus what the other pods there request.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Give the pool the shard controllers run on (the general pool, else every node not dedicated to a role) more or larger nodes, keeping its min size at its desired size, move other pods off it, or lower the controllers' CPU limits (flux.controllers.*.cpu) and add shards, until `platform shards plan --stack <name>` shows both the busiest shard within the window and the rollout CPU fitting. Outage 2: a rollout predicted on CPU the nodes do not have overruns the window all the same.",
    config: {},
    checkStack(resources, _config, report) {
        guarded(report, undefined, () => {
            const b = rolloutCpuOf(resources);
            if (b)
                reportOverBudget([b], report, () => `${b.title}: ${b.controllersCores} cores of controller limits + ${b.othersCores} cores requested by other pods = ${b.used} cores, ${b.limit} cores allocatable; the predicted rollouts assume CPU these nodes do not have.`);
        });
    },
    budgets(resources) {
        const b = rolloutCpuOf(resources);
        if (!b) return [];
        const { controllersCores: _c, othersCores: _o, nodes: _n, onto: _w, ...budget } = b;
        return [budget];
    },
});

/** The source a Flux object reads from: kind, name and namespace (its own when the ref names none). */
function sourceRefOf(r: PolicyResource): { kind: string; name: string; namespace?: string } | undefined {
    const ref = kindOf(r) === "HelmRelease" ? (at(r.props, "spec.chart.spec.sourceRef") ?? at(r.props, "spec.chartRef")) : at(r.props, "spec.sourceRef");
    if (!ref) return undefined;
    return { kind: ref.kind, name: ref.name, namespace: ref.namespace ?? namespaceOf(r) };
}

export const shardSources = rule<Record<string, never>>({
    name: "flux-shard-sources",
    family: "flux",
    description: "Every sharded Flux object reads from a source of the same shard, a controller watches that shard, and a sharded HelmRelease labels its HelmChart with it.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Give each shard its own GitRepository/HelmRepository carrying ${SHARD_LABEL}=<shard> (sources cannot be shared across shards), point the shard's Kustomizations and HelmReleases at them, set spec.chart.metadata.labels[${SHARD_LABEL}] on sharded HelmReleases, and run a source-, kustomize- and helm-controller per shard (Flux sharding docs). Otherwise the object is never reconciled, or reconciled by the wrong controller.`,
    config: {},
    checkStack(resources, _config, report) {
        const sources = resources.filter((r) => r.type.startsWith("kubernetes:source.toolkit.fluxcd.io/"));
        const watched = new Map<string, Set<string>>();
        guarded(report, undefined, () => {
            for (const c of fluxControllers(resources)) {
                const shard = watchedShard(c.argv);
                if (shard) watched.set(shard, new Set([...(watched.get(shard) ?? []), c.controller]));
            }
        });
        const consumers = resources.filter((r) => isFlux(r, "Kustomization", "kustomize.toolkit.fluxcd.io") || isFlux(r, "HelmRelease", "helm.toolkit.fluxcd.io") || isFlux(r, "HelmChart", "source.toolkit.fluxcd.io"));
        for (const r of consumers) {
            guarded(report, r.urn, () => {
                const shard = shardOf(r);
                const ref = sourceRefOf(r);
                const what = `${kindOf(r)} ${namespaceOf(r)}/${metaName(r)}`;
                if (ref) {
                    const src = sources.find((s) => kindOf(s) === ref.kind && metaName(s) === ref.name && namespaceOf(s) === ref.namespace);
                    if (src && shardOf(src) !== shard) {
                        report(`${what} (shard ${shard ?? "main"}) reads ${ref.kind} ${ref.namespace}/${ref.name} of shard ${shardOf(src) ?? "main"}: no single source-controller serves both.`, r.urn);
                    } else if (!src && shard !== undefined) {
                        report(`${what} (shard ${shard}) reads ${ref.kind} ${ref.namespace}/${ref.name}, which the stack does not declare for that shard.`, r.urn);
                    }
                }
                if (shard !== undefined) {
                    const controller = kindOf(r) === "Kustomization" ? "kustomize-controller" : kindOf(r) === "HelmRelease" ? "helm-controller" : "source-controller";
                    if (!watched.get(shard)?.has(controller)) report(`${what} is in shard ${shard}, but no ${controller} watches ${SHARD_LABEL}=${shard}: it is never reconciled.`, r.urn);
                    if (kindOf(r) === "HelmRelease" && at(r.props, "spec.chart") !== undefined && at(r.props, "spec.chart.metadata.labels")?.[SHARD_LABEL] !== shard) {
                        report(`${what} is in shard ${shard} but does not label its HelmChart with it (spec.chart.metadata.labels): the main source-controller would build it.`, r.urn);
                    }
                }
            });
        }
    },
});

export const mainControllersOwned = rule<Record<string, never>>({
    name: "flux-main-controllers-owned",
    family: "flux",
    description: "A sharded Flux installation is the stack's own: its main source-, kustomize- and helm-controller are Deployments of the stack that leave sharded objects alone.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Let the stack install Flux (components/flux/install.ts) instead of bootstrapping it: declare the main source-, kustomize- and helm-controller as Deployments started with --watch-label-selector=${MAIN_WATCH_SELECTOR}. A selector patched onto a bootstrapped Flux is dropped the next time Flux re-applies its own manifests (container args are one atomic list under server-side apply), and then every sharded object is reconciled twice.`,
    config: {},
    checkStack(resources, _config, report) {
        let controllers: ReturnType<typeof fluxControllers> = [];
        guarded(report, undefined, () => {
            controllers = fluxControllers(resources);
        });
        if (!controllers.some((c) => watchedShard(c.argv) !== undefined)) return;
        for (const name of ["source-controller", "kustomize-controller", "helm-controller"]) {
            const main = controllers.filter((c) => c.controller === name && watchedShard(c.argv) === undefined);
            if (main.length === 0) {
                report(`the stack runs ${name} shards but declares no main ${name}: a bootstrapped one it does not own reconciles the sharded objects too, or drops a patched selector on its next reconcile.`);
                continue;
            }
            for (const c of main) {
                const selector = flagValue(c.argv, "--watch-label-selector");
                if (selector !== MAIN_WATCH_SELECTOR) {
                    report(`${kindOf(c.w)} ${namespaceOf(c.w) ?? ""}/${metaName(c.w)} (${name}) runs ${selector === undefined ? "without --watch-label-selector" : `with --watch-label-selector=${selector}`}: it reconciles the shards' objects too; expected ${MAIN_WATCH_SELECTOR}.`, c.w.urn);
                }
            }
        }
    },
});

/** Kinds holding tenant data that Flux's garbage collection must never delete. */
export const TENANT_DATA_KINDS = ["Namespace", "PersistentVolumeClaim"];

/**
 * Does a Kustomization mark what it applies prune-disabled: everything (commonMetadata), or every object of
 * each given kind through a patch without a name or selector restriction?
 */
export function enforcesPruneDisabled(k: PolicyResource, kinds: string[]): boolean {
    if (at(k.props, "spec.commonMetadata.annotations")?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) return true;
    const patches: any[] = at(k.props, "spec.patches") ?? [];
    const escaped = PRUNE_ANNOTATION.replace(/[./]/g, "\\$&");
    const sets = new RegExp(`${escaped}["']?\\s*:\\s*["']?${PRUNE_DISABLED}|${PRUNE_ANNOTATION.replace("/", "~1")}`);
    return kinds.every((kind) =>
        patches.some((p) => {
            const t = p.target ?? {};
            return t.kind === kind && t.name === undefined && t.labelSelector === undefined && t.annotationSelector === undefined && sets.test(p.patch ?? "");
        }),
    );
}

export const tenantPrune = rule<{ tenantDataKinds: string[] }>({
    name: "tenant-data-never-pruned",
    family: "flux",
    description: "Flux can never garbage-collect tenant data: every pruning Kustomization marks what it applies prune-disabled and orphans it on deletion; tenant namespaces and volumes carry the mark.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: `Keep flux.tenantPruneProtection true. A Kustomization with prune: true needs deletionPolicy: Orphan and spec.commonMetadata.annotations {${PRUNE_ANNOTATION}: ${PRUNE_DISABLED}} (or a patch adding it per kind), and tenant Namespaces and PersistentVolumeClaims carry the annotation. Outage 5: a GitOps refactor with prune: true deleted every tenant's namespaces and volumes (>100 TB).`,
    config: {
        tenantDataKinds: { type: "array", items: { type: "string" }, default: TENANT_DATA_KINDS, description: "Kinds of tenant data that must never be pruned." },
    },
    checkStack(resources, config, report) {
        for (const k of resources.filter((r) => isFlux(r, "Kustomization", "kustomize.toolkit.fluxcd.io"))) {
            guarded(report, k.urn, () => {
                if (known(at(k.props, "spec.prune"), `prune of ${k.name}`) !== true) return;
                const what = `Kustomization ${namespaceOf(k)}/${metaName(k)} (prune: true, path ${at(k.props, "spec.path") ?? "."})`;
                if (!enforcesPruneDisabled(k, [...config.tenantDataKinds, "Kustomization"])) {
                    report(`${what} does not mark what it applies ${PRUNE_ANNOTATION}: ${PRUNE_DISABLED}: a refactor of its tree deletes whatever leaves it, tenant namespaces and volumes included.`, k.urn);
                }
                const policy = known(at(k.props, "spec.deletionPolicy"), `deletionPolicy of ${k.name}`) ?? "MirrorPrune";
                if (policy !== "Orphan") report(`${what} has deletionPolicy ${policy}: deleting or replacing it deletes everything it applied.`, k.urn);
            });
        }
        // Tenant objects registered directly (a tenant label) must carry the annotation themselves.
        for (const r of resources.filter((x) => config.tenantDataKinds.includes(kindOf(x) ?? ""))) {
            guarded(report, r.urn, () => {
                if (labelsOf(r)[TENANT_LABEL] === undefined) return;
                if (annotationsOf(r)[PRUNE_ANNOTATION] !== PRUNE_DISABLED) report(`${kindOf(r)} ${metaName(r)} of tenant ${labelsOf(r)[TENANT_LABEL]} lacks ${PRUNE_ANNOTATION}: ${PRUNE_DISABLED}.`, r.urn);
            });
        }
    },
});

export const rules = [rolloutWindow, rolloutCpu, shardSources, mainControllersOwned, lockdown, tenantPrune];
