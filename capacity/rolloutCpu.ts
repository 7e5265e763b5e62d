// CPU for the Flux shards' rollout on the nodes they run on (outage 2 in docs/outages.md).
//
// capacity/rollout.ts predicts a shard's rollout from its controllers' CPU *limits*. Kubernetes places pods
// by their requests (the shard controllers request Flux's small defaults, 0.05–0.1 core) and, when a node's
// CPU is contended, divides it in proportion to requests (cgroup CPU weight), so a controller runs at its
// limit only when its nodes have that CPU to spare. How much less it would get otherwise depends on what every
// other pod on those nodes happens to use at that moment: there is no per-shard figure to predict from. So the
// limit-based rollout is claimed only under a mandatory budget, the same in the policy rule
// (flux-rollout-cpu), `shards plan` and the capacity summary:
//   Σ CPU limits of every shard controller + Σ CPU requested by every other pod that may run on those nodes
//     ≤ allocatable CPU of the nodes the shard controllers may run on
// (the `general` pool when the stack has one, else every node not dedicated to a role). When it holds, every
// controller can run at its limit at once while every other pod there gets its request; when it does not,
// the stack is rejected rather than promised a rollout its nodes cannot run.
// Assumptions: the other pods use their requests during the window (it is chosen at low traffic; the app
// tiers set no CPU limit, so a burst of theirs would take from the controllers); AWS pools count at their
// desired size, as the memory budget does (an autoscaler scales on requests, which the controllers keep low,
// so the Flux pool should keep min = desired); the nodes' CPU is summed, not bin-packed; DaemonSets and the
// bootstrapped main Flux controllers are not counted (the stack registers no DaemonSet and only patches the
// main controllers' args; the memory budget skips them too).
import type { Budget } from "../contract/budget";
import { DEDICATED_TAINT_KEY } from "../contract/labels";
import { admits, tieredReservation, type NodeGroup, type PodGroup } from "./memory";

/**
 * Cores a node leaves to pods: GKE's documented kubelet reservation of 6 % of the first core, 1 % of the
 * second, 0.5 % of the next two and 0.25 % above four (cloud.google.com/kubernetes-engine/docs/concepts/
 * plan-node-sizes), which the EKS-optimised AMIs reserve as well (awslabs/amazon-eks-ami bootstrap,
 * get_cpu_millicores_to_reserve). 4 cores leave 3.92, 8 leave 7.91, 16 leave 15.89: 98–99 % of the node.
 */
export function allocatableCpu(cores: number): number {
    const tiers: [number, number][] = [
        [1, 0.06],
        [1, 0.01],
        [2, 0.005],
        [Infinity, 0.0025],
    ];
    return Math.max(0, cores - tieredReservation(cores, tiers));
}

/** May pods of this group run on this node: their role admits it, they tolerate its taint, their affinity allows its arch. */
export function runsOn(pod: Pick<PodGroup, "role" | "archs" | "tolerations">, node: NodeGroup): boolean {
    return admits(pod, node, DEDICATED_TAINT_KEY);
}

/** The rollout CPU budget with what it is made of. */
export interface RolloutCpuBudget extends Budget {
    /** Σ CPU limits of the shard controllers, in cores. */
    controllersCores: number;
    /** Σ CPU requested by the other pods that may run on the same nodes, in cores. */
    othersCores: number;
    /** Nodes the shard controllers may run on, and what they are in the operator's words. */
    nodes: number;
    onto: string;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The CPU the shard controllers may use at once during the window (their limits, as `controllers[].cpu`)
 * plus the CPU requested by the other pods that may run on the same nodes, against those nodes' allocatable
 * CPU. The controllers' nodes are those their placement allows (role and arch); `others` may list every pod
 * group of the stack: only those that can land on one of those nodes count, each with all its replicas.
 */
export function rolloutCpuBudget(controllers: readonly PodGroup[], others: readonly PodGroup[], nodes: readonly NodeGroup[]): RolloutCpuBudget {
    const cores = (pods: readonly PodGroup[]) => pods.reduce((a, p) => a + p.replicas * (p.cpu ?? 0), 0);
    const onto = nodes.filter((n) => controllers.some((c) => runsOn(c, n)));
    const controllersCores = cores(controllers);
    const othersCores = cores(others.filter((p) => onto.some((n) => runsOn(p, n))));
    const where = `${[...new Set(controllers.map((c) => c.role ?? "non-dedicated"))].join(" + ")} nodes`;
    const count = onto.reduce((a, n) => a + n.count, 0);
    return {
        id: "flux.rollout.cpu",
        title: `Flux shard controllers' CPU limits + other pods' CPU requests on ${where} (${count})`,
        used: round2(controllersCores + othersCores),
        limit: round2(onto.reduce((a, n) => a + n.count * allocatableCpu(n.cpu), 0)),
        unit: "cores",
        controllersCores: round2(controllersCores),
        othersCores: round2(othersCores),
        nodes: count,
        onto: where,
    };
}
