// Workloads (outages 3 and 4): probes on every container, disruption budgets for multi-replica workloads,
// exactly one scheduler process, workers below web and streaming in priority, and multi-arch images for
// anything that may land on an arm64 node.
import { ARCH_LABEL, IMAGE_MULTI_ARCH_ANNOTATION, TIER_LABEL } from "../../capacity/labels";
import { parseSidekiqArgs, SCHEDULER_QUEUE, schedulerProblems, schedulerProcesses, type QueueServer } from "../../capacity/queues";
import { at, forEach, known, rule, type PolicyResource } from "../framework";
import { argvOf, containersOf, isWorkload, kindOf, metaName, namespaceOf, ofKind, podLabelsOf, podSpecOf, replicasOf, selects, workloads } from "../k8s";

const describe = (r: PolicyResource) => `${kindOf(r)} ${namespaceOf(r) ? `${namespaceOf(r)}/` : ""}${metaName(r)}`;

export const probes = rule<{ exemptContainers: string[] }>({
    name: "probes-on-every-container",
    family: "workloads",
    description: "Every container of a Deployment, StatefulSet or DaemonSet has a readiness and a liveness probe.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Add `readinessProbe` (traffic only reaches a ready pod) and `livenessProbe` (a hung process is restarted) to the container, e.g. with components/workloads/scheduling.ts `probes()`. Outage 4: services without health checks crashed or hung instead of being restarted.",
    config: {
        exemptContainers: { type: "array", items: { type: "string" }, default: [], description: "Container names that need no probes." },
    },
    checkResource(r, config, report) {
        if (!isWorkload(r)) return;
        for (const c of containersOf(r)) {
            if (config.exemptContainers.includes(c.name)) continue;
            const missing = (["readinessProbe", "livenessProbe"] as const).filter((p) => known(c[p], `${p} of container ${c.name}`) === undefined);
            if (missing.length > 0) report(`${describe(r)} container ${c.name} has no ${missing.join(" and no ")}.`);
        }
    },
});

/** Can this PDB ever let a pod of `replicas` go? (minAvailable = all, or maxUnavailable 0, blocks every drain.) */
function pdbBlocksEveryEviction(pdb: PolicyResource, replicas: number): boolean {
    const min = at(pdb.props, "spec.minAvailable");
    const max = at(pdb.props, "spec.maxUnavailable");
    const asCount = (v: unknown, whole: number) => (typeof v === "string" && v.endsWith("%") ? Math.ceil((Number(v.slice(0, -1)) / 100) * whole) : Number(v));
    if (max !== undefined) return Math.floor(typeof max === "string" && max.endsWith("%") ? (Number(max.slice(0, -1)) / 100) * replicas : Number(max)) <= 0;
    if (min !== undefined) return asCount(min, replicas) >= replicas;
    return false;
}

export const pdbs = rule<{ minReplicas: number }>({
    name: "pdb-for-multi-replica",
    family: "workloads",
    description: "Every workload with several replicas has a PodDisruptionBudget that selects its pods and still lets a node drain.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
        "Add a policy/v1 PodDisruptionBudget in the workload's namespace whose selector matches its pod labels, with `maxUnavailable: 1` (or a minAvailable below the replica count), so a node drain or upgrade never takes every replica at once and never hangs.",
    config: {
        minReplicas: { type: "integer", minimum: 2, default: 2, description: "Replica count from which a workload needs a PDB." },
    },
    checkStack(resources, config, report) {
        const budgets = ofKind(resources, "PodDisruptionBudget");
        forEach(
            workloads(resources).filter((w) => kindOf(w) !== "DaemonSet"),
            report,
            (w) => {
                const replicas = known(replicasOf(w), `spec.replicas of ${w.name}`) ?? 1;
                if (replicas < config.minReplicas) return;
                const labels = podLabelsOf(w);
                const mine = budgets.filter((p) => namespaceOf(p) === namespaceOf(w) && selects(at(p.props, "spec.selector"), labels));
                if (mine.length === 0) report(`${describe(w)} runs ${replicas} replicas but no PodDisruptionBudget selects its pods.`, w.urn);
                for (const p of mine) {
                    if (pdbBlocksEveryEviction(p, replicas)) report(`PodDisruptionBudget ${metaName(p)} never lets a pod of ${describe(w)} (${replicas} replicas) go: node drains would hang.`, p.urn);
                }
            },
        );
    },
});

/** Every Sidekiq process set in the stack, read from the containers' own command lines. */
export function queueServersOf(resources: PolicyResource[]): (QueueServer & { urn: string })[] {
    const out: (QueueServer & { urn: string })[] = [];
    for (const w of workloads(resources)) {
        for (const c of containersOf(w)) {
            const parsed = parseSidekiqArgs(argvOf(c));
            if (!parsed) continue;
            const replicas = known(replicasOf(w), `spec.replicas of ${w.name}`);
            out.push({ name: `${metaName(w)}/${c.name}`, replicas: replicas ?? 1, threads: parsed.threads, queues: parsed.queues, urn: w.urn });
        }
    }
    return out;
}

export const singleScheduler = rule<Record<string, never>>({
    name: "single-scheduler",
    family: "workloads",
    description: `Exactly one Sidekiq process in the stack runs the ${SCHEDULER_QUEUE} queue.`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Run the ${SCHEDULER_QUEUE} queue in one Deployment with replicas: 1 (strategy Recreate) and remove \`-q ${SCHEDULER_QUEUE}\` from every worker group. Outage 3: a second process running the scheduler queue ran periodic jobs twice.`,
    config: {},
    checkStack(resources, _config, report) {
        const servers = queueServersOf(resources);
        if (servers.length === 0) return;
        const running = servers.filter((s) => s.queues.includes(SCHEDULER_QUEUE));
        for (const problem of schedulerProblems(servers)) {
            if (running.length === 0) report(`${problem}.`);
            for (const s of running) report(`${problem}; ${s.name} runs ${s.replicas} of them.`, s.urn);
        }
    },
    budgets(resources) {
        const servers = queueServersOf(resources);
        if (servers.length === 0) return [];
        return [{ id: "workloads.scheduler.processes", title: `processes running the ${SCHEDULER_QUEUE} queue (exactly one allowed)`, used: schedulerProcesses(servers), limit: 1, unit: "processes" }];
    },
});

const tierOf = (w: PolicyResource) => podLabelsOf(w)[TIER_LABEL] ?? labelsTier(w);
const labelsTier = (w: PolicyResource) => (at(w.props, "metadata.labels") ?? {})[TIER_LABEL] as string | undefined;

export const workerPriority = rule<{ workerTiers: string[]; servingTiers: string[] }>({
    name: "worker-priority-below-serving",
    family: "workloads",
    description: "Queue workers run at a lower pod priority than the web and streaming tiers.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Give web and streaming pods a PriorityClass with a higher value than the workers' (e.g. media-serving 100000, media-workers 1000) through `priorityClassName`, so that under memory pressure the scheduler evicts workers first. Outage 3: workers and Redis starved the serving tiers.",
    config: {
        workerTiers: { type: "array", items: { type: "string" }, default: ["workers", "scheduler"], description: "Tier label values of queue workers." },
        servingTiers: { type: "array", items: { type: "string" }, default: ["web", "streaming"], description: "Tier label values that serve users." },
    },
    checkStack(resources, config, report) {
        const classes = new Map<string, number>();
        let globalDefault = 0;
        for (const pc of ofKind(resources, "PriorityClass")) {
            const value = Number(known(at(pc.props, "value"), `value of PriorityClass ${pc.name}`));
            classes.set(metaName(pc), value);
            if (at(pc.props, "globalDefault") === true) globalDefault = value;
        }
        const tiered = workloads(resources).map((w) => ({ w, tier: tierOf(w) }));
        const serving = tiered.filter((t) => t.tier !== undefined && config.servingTiers.includes(t.tier));
        const workers = tiered.filter((t) => t.tier !== undefined && config.workerTiers.includes(t.tier));
        if (serving.length === 0 || workers.length === 0) return;
        const priority = (w: PolicyResource): { value: number; cls?: string } => {
            const cls = podSpecOf(w)?.priorityClassName as string | undefined;
            if (cls === undefined) return { value: globalDefault };
            const v = classes.get(cls);
            if (v === undefined) {
                report(`${describe(w)} uses PriorityClass ${cls}, which the stack does not declare, so its priority is not known at preview.`, w.urn);
                return { value: NaN, cls };
            }
            return { value: v, cls };
        };
        const lowestServing = Math.min(...serving.map((s) => priority(s.w).value));
        for (const { w } of workers) {
            const p = priority(w);
            if (!(p.value < lowestServing)) {
                report(`${describe(w)} runs at priority ${p.value}${p.cls ? ` (${p.cls})` : " (no priorityClassName)"}, not below the serving tiers' lowest ${lowestServing}.`, w.urn);
            }
        }
    },
});

/** Architectures a pod template may be scheduled on; undefined when nothing restricts it (any node, arm64 included). */
export function allowedArchsOf(w: PolicyResource): string[] | undefined {
    const spec = podSpecOf(w);
    if (!spec) return undefined;
    const selector = known(spec.nodeSelector, `nodeSelector of ${w.name}`)?.[ARCH_LABEL];
    if (selector !== undefined) return [selector];
    const terms: any[] = known(at(spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"), `node affinity of ${w.name}`) ?? [];
    if (terms.length === 0) return undefined;
    // Terms are ORed; a term restricts arch only through an `In` on the arch label.
    const archs = new Set<string>();
    for (const t of terms) {
        const ex = (t.matchExpressions ?? []).find((e: any) => e.key === ARCH_LABEL && e.operator === "In");
        if (!ex) return undefined;
        for (const v of ex.values ?? []) archs.add(v);
    }
    return [...archs];
}

export const multiArch = rule<{ armArchs: string[]; multiArchRepositories: string[] }>({
    name: "multi-arch-images",
    family: "workloads",
    description: "A workload that may land on an arm64 node runs an image declared multi-arch.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Either declare the image multi-arch in config (e.g. workloads.image.multiArch: true, once its manifest list has an arm64 entry; the pod template then carries ${IMAGE_MULTI_ARCH_ANNOTATION}: "true"), or pin the workload to amd64 with node affinity on ${ARCH_LABEL}. Outage 3: workers added on a Raspberry Pi 4 need arm64 images.`,
    config: {
        armArchs: { type: "array", items: { type: "string" }, default: ["arm64"], description: "Architectures that need a multi-arch image." },
        multiArchRepositories: {
            type: "array",
            items: { type: "string" },
            // Flux publishes linux/amd64, arm64 and arm/v7 controller images (fluxcd/flux2 release notes); Kubernetes
            // project images on registry.k8s.io are built for every supported architecture (kubernetes/k8s.io image promotion).
            default: ["ghcr.io/fluxcd/", "registry.k8s.io/"],
            description: "Image repository prefixes known to publish multi-arch manifest lists.",
        },
    },
    checkResource(r, config, report) {
        if (!isWorkload(r)) return;
        const archs = allowedArchsOf(r);
        const arm = archs === undefined ? config.armArchs : archs.filter((a) => config.armArchs.includes(a));
        if (arm.length === 0) return;
        const templateAnnotations = known(at(r.props, "spec.template.metadata.annotations") ?? {}, `pod annotations of ${r.name}`);
        if (templateAnnotations[IMAGE_MULTI_ARCH_ANNOTATION] === "true") return;
        const images = containersOf(r).map((c) => known(c.image, `image of container ${c.name}`) ?? "(no image)");
        const unknownArch = images.filter((i) => !config.multiArchRepositories.some((p) => i.startsWith(p)));
        if (unknownArch.length === 0) return;
        report(
            `${describe(r)} may run on ${arm.join("/")} nodes (${archs === undefined ? "no arch affinity" : `affinity allows ${archs.join(", ")}`}) but its image ${unknownArch.join(", ")} is not declared multi-arch (${IMAGE_MULTI_ARCH_ANNOTATION}).`,
        );
    },
});

export const rules = [probes, pdbs, singleScheduler, workerPriority, multiArch];
