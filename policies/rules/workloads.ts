// Workloads (outages 3 and 4): probes on every container, disruption budgets for multi-replica workloads,
// exactly one scheduler process, workers below web and streaming in priority, and multi-arch images for
// anything that may land on an arm64 node.
import { IMAGE_FACTS, NODE_FACTS, QUEUE_FACTS } from "../../contract/facts";
import {
    ARCH_LABEL,
    DEDICATED_TAINT_KEY,
    HOSTNAME_LABEL,
    POOL_LABEL,
    ROLE_LABEL,
    TIER_LABEL,
} from "../../contract/labels";
import { findInstanceType, type Arch } from "../../capacity/instances";
import { memoryBudgets, nodeMemoryBudgets, type LabelSelector, type NodeGroup, type PodGroup, type Toleration } from "../../capacity/memory";
import { parseSidekiqArgs, queueBudgets, SCHEDULER_QUEUE, schedulerProblems, schedulerProcesses, type QueueServer } from "../../capacity/queues";
import { at, forEach, guarded, known, MissingFact, reportOverBudget, rule, type PolicyResource, type RuleBudget } from "../framework";
import { factsOf, annotation, argvOf, containersOf, cpuCores, isWorkload, kindOf, labelsOf, memoryMiB, metaName, namespaceOf, ofKind, podLabelsOf, podSpecOf, replicasOf, selects, workloads } from "../k8s";

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
        return [{ id: "workloads.scheduler.processes", title: `processes running the ${SCHEDULER_QUEUE} queue (exactly one allowed)`, used: schedulerProcesses(servers), limit: 1, unit: "processes", kind: "exact" }];
    },
});

/**
 * Threads each queue needs at peak (Little's law under the utilisation ceiling, capacity/queues) against the
 * threads serving it, from the Sidekiq Deployments' command lines and the queue load they carry.
 */
export function queueBudgetsOf(resources: PolicyResource[]): RuleBudget[] {
    const servers = queueServersOf(resources);
    if (servers.length === 0) return [];
    const carrier = servers.map((s) => resources.find((r) => r.urn === s.urn)!).find((w) => annotation(w, QUEUE_FACTS.keys.queues) !== undefined);
    if (!carrier) throw new MissingFact(`no Sidekiq Deployment carries ${QUEUE_FACTS.keys.queues}: the queues' load is unknown`);
    const { queues, utilisationCeiling } = factsOf(QUEUE_FACTS, carrier, "the queues' load is unknown");
    return queueBudgets(queues, servers, utilisationCeiling)
        .filter((b) => b.id !== "workloads.scheduler.processes")
        .map((b) => ({ ...b, urn: carrier.urn }));
}

export const queueThreads = rule<Record<string, never>>({
    name: "queue-workers-keep-up",
    family: "workloads",
    description: "Every queue has the worker threads its peak load needs (jobs per second × mean job time ÷ utilisation ceiling).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
        "Add worker replicas or threads for the queue (workloads.workers), or move it to a group with spare threads; every added thread also needs a database connection within the connection budget. Outage 3: the queues fell behind and the threads were raised past what PgBouncer allowed.",
    config: {},
    checkStack(resources, _config, report) {
        guarded(report, undefined, () => reportOverBudget(queueBudgetsOf(resources), report, (b) => `${b.title}: ${b.used} needed, ${b.limit} serving.`));
    },
    budgets: (resources) => queueBudgetsOf(resources),
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
    remediationSteps: `Either declare the image multi-arch in config (e.g. workloads.image.multiArch: true, once its manifest list has an arm64 entry; the pod template then carries ${IMAGE_FACTS.keys.multiArch}: "true"), or pin the workload to amd64 with node affinity on ${ARCH_LABEL}. Outage 3: workers added on a Raspberry Pi 4 need arm64 images.`,
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
        const declared = IMAGE_FACTS.decode(templateAnnotations);
        if ("facts" in declared && declared.facts.multiArch) return;
        const images = containersOf(r).map((c) => known(c.image, `image of container ${c.name}`) ?? "(no image)");
        const unknownArch = images.filter((i) => !config.multiArchRepositories.some((p) => i.startsWith(p)));
        if (unknownArch.length === 0) return;
        report(
            `${describe(r)} may run on ${arm.join("/")} nodes (${archs === undefined ? "no arch affinity" : `affinity allows ${archs.join(", ")}`}) but its image ${unknownArch.join(", ")} is not declared multi-arch (${IMAGE_FACTS.keys.multiArch}).`,
        );
    },
});

const BOTH: Arch[] = ["amd64", "arm64"];
const asArchs = (a: string[] | undefined): Arch[] => (a === undefined ? BOTH : BOTH.filter((x) => a.includes(x)));
// Kubernetes defaults a request to the limit when only the limit is set.
const requested = (c: any, resource: "memory" | "cpu") => known(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource], `${resource} of ${c.name}`);
const requestedMiB = (containers: any[]) => containers.reduce((sum, c) => sum + (memoryMiB(requested(c, "memory")) ?? 0), 0);
const requestedCores = (containers: any[]) => containers.reduce((sum, c) => sum + (cpuCores(requested(c, "cpu")) ?? 0), 0);

/** Required pod anti-affinity on the hostname, as label selectors (what may never share a node with the pods). */
function hostAntiAffinity(terms: unknown, what: string): LabelSelector[] {
    return ((known(terms, `pod anti-affinity of ${what}`) ?? []) as any[]).filter((t) => t?.topologyKey === HOSTNAME_LABEL && t.labelSelector !== undefined).map((t) => t.labelSelector as LabelSelector);
}

/** A Deployment's or StatefulSet's pods: replicas, requests, role, archs, and the labels, tolerations and anti-affinity that place them. */
export function workloadPodGroup(w: PolicyResource): PodGroup {
    const containers = containersOf(w);
    const spec = podSpecOf(w);
    return {
        name: metaName(w),
        ref: w.urn,
        replicas: known(replicasOf(w), `replicas of ${w.name}`) ?? 1,
        memoryMiB: requestedMiB(containers),
        cpu: requestedCores(containers),
        role: spec?.nodeSelector?.[ROLE_LABEL],
        archs: asArchs(allowedArchsOf(w)),
        labels: podLabelsOf(w),
        tolerations: (known(spec?.tolerations, `tolerations of ${w.name}`) ?? []) as Toleration[],
        antiAffinity: hostAntiAffinity(at(spec, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"), w.name),
    };
}

/** The stack's pods as memory and CPU consumers: workloads, CloudNativePG clusters and poolers (requests, role, archs). */
export function podGroupsOf(resources: PolicyResource[]): PodGroup[] {
    const out: PodGroup[] = [];
    const add = (g: PodGroup) => {
        if (g.memoryMiB > 0 || (g.cpu ?? 0) > 0) out.push(g);
    };
    for (const w of workloads(resources)) if (kindOf(w) !== "DaemonSet") add(workloadPodGroup(w));
    for (const c of ofKind(resources, "Cluster", "postgresql.cnpg.io")) {
        const memory = memoryMiB(known(at(c.props, "spec.resources.requests.memory"), `memory of ${c.name}`)) ?? 0;
        const cpu = cpuCores(known(at(c.props, "spec.resources.requests.cpu"), `CPU of ${c.name}`)) ?? 0;
        // CloudNativePG's images are multi-arch; placement comes from spec.affinity (nodeSelector, tolerations); its
        // instance pods carry cnpg.io/cluster, and keep apart from each other only when the anti-affinity is required.
        const labels = { "cnpg.io/cluster": metaName(c) };
        const own = at(c.props, "spec.affinity.enablePodAntiAffinity") !== false && at(c.props, "spec.affinity.podAntiAffinityType") === "required" ? [{ matchLabels: labels }] : [];
        add({
            name: metaName(c),
            ref: c.urn,
            replicas: Number(at(c.props, "spec.instances") ?? 1),
            memoryMiB: memory,
            cpu,
            role: at(c.props, "spec.affinity.nodeSelector")?.[ROLE_LABEL],
            archs: BOTH,
            labels,
            tolerations: (known(at(c.props, "spec.affinity.tolerations"), `tolerations of ${c.name}`) ?? []) as Toleration[],
            antiAffinity: [...own, ...hostAntiAffinity(at(c.props, "spec.affinity.additionalPodAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"), c.name)],
        });
    }
    for (const p of ofKind(resources, "Pooler", "postgresql.cnpg.io")) {
        const containers = at(p.props, "spec.template.spec.containers") ?? [];
        add({
            name: metaName(p),
            ref: p.urn,
            replicas: Number(at(p.props, "spec.instances") ?? 1),
            memoryMiB: requestedMiB(containers),
            cpu: requestedCores(containers),
            role: at(p.props, "spec.template.spec.nodeSelector")?.[ROLE_LABEL],
            archs: BOTH,
            labels: { "cnpg.io/poolerName": metaName(p), ...(at(p.props, "spec.template.metadata.labels") ?? {}) },
            tolerations: (known(at(p.props, "spec.template.spec.tolerations"), `tolerations of ${p.name}`) ?? []) as Toleration[],
            antiAffinity: hostAntiAffinity(at(p.props, "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"), p.name),
        });
    }
    return out;
}

/** The stack's nodes: bare-metal NodePatches (hardware annotations) and EKS node groups (catalog, desired size). */
export function nodeGroupsOf(resources: PolicyResource[]): NodeGroup[] {
    const out: NodeGroup[] = [];
    const dedicatedBy = (taints: any[] | undefined) => (taints ?? []).some((t) => t.key === DEDICATED_TAINT_KEY);
    for (const n of resources.filter((r) => kindOf(r) === "NodePatch")) {
        const labels = labelsOf(n);
        if (labels[ROLE_LABEL] === undefined) continue;
        const { memoryGiB, cpu } = factsOf(NODE_FACTS, n, "the node's memory and cores are unknown");
        out.push({ pool: labels[POOL_LABEL] ?? metaName(n), name: metaName(n), ref: n.urn, role: labels[ROLE_LABEL], arch: labels[ARCH_LABEL] as Arch, memoryGiB, cpu, count: 1, dedicated: dedicatedBy(at(n.props, "spec.taints")) });
    }
    for (const g of resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup")) {
        const types = ((known(at(g.props, "instanceTypes"), `instanceTypes of ${g.name}`) ?? []) as string[]).map(findInstanceType);
        if (types.length === 0 || types.some((t) => t === undefined)) throw new MissingFact(`node group ${g.name} names an instance type the catalog does not know`);
        const role = (known(at(g.props, "labels"), `labels of ${g.name}`) ?? {})[ROLE_LABEL];
        if (role === undefined) continue;
        out.push({
            pool: (at(g.props, "labels") ?? {})[POOL_LABEL] ?? g.name,
            ref: g.urn,
            role,
            arch: types[0]!.arch,
            // A group may mix types: count each node as the smallest.
            memoryGiB: Math.min(...types.map((t) => t!.memoryGiB)),
            cpu: Math.min(...types.map((t) => t!.vcpu)),
            count: Number(known(at(g.props, "scalingConfig.desiredSize"), `desiredSize of ${g.name}`) ?? 0),
            dedicated: dedicatedBy(at(g.props, "taints")),
        });
    }
    return out;
}

/** The memory budgets: each role's pods against its nodes, and each node against every pod that may land on it. */
export function memoryBudgetsOf(resources: PolicyResource[]): RuleBudget[] {
    const pods = podGroupsOf(resources);
    const nodes = nodeGroupsOf(resources);
    return [...memoryBudgets(pods, nodes), ...nodeMemoryBudgets(pods, nodes, DEDICATED_TAINT_KEY).map(({ ref, ...b }) => ({ ...b, urn: ref }))];
}

export const nodeMemory = rule<Record<string, never>>({
    name: "node-memory-budget",
    family: "workloads",
    description:
        "The memory the pods request fits the nodes they may run on: role by role and architecture by architecture, and node by node with every pod that may land there, pinned to its role or free to go to any undedicated node (taints, tolerations, node selectors and anti-affinity as the stack emits them).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Add nodes (or larger ones) to the role's pool, lower the pods' memory (requests = limits) or their replicas, or allow a workload on more architectures with a multi-arch image. A node over budget with pods of no role (no general pool: Flux's controllers, the DNS autoscaler) gets them from every undedicated node: add a general pool for them (they move there), or dedicate the small nodes (nodePools[].dedicated: true) so only their role lands there. Outage 3: Redis and 160 Sidekiq threads ran the host out of RAM; extra workers went onto a Raspberry Pi.",
    config: {},
    checkStack(resources, _config, report) {
        guarded(report, undefined, () =>
            reportOverBudget(memoryBudgetsOf(resources), report, (b) => (b.unit === "GiB" ? `${b.title}: ${b.used} GiB requested, ${b.limit} GiB allocatable.` : `${b.title}: ${b.used} replicas, ${b.limit} nodes.`)),
        );
    },
    budgets: (resources) => memoryBudgetsOf(resources),
});

export const rules = [probes, pdbs, singleScheduler, queueThreads, nodeMemory, workerPriority, multiArch];
