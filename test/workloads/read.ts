// Finding registered objects in a stack run, for the data, workloads and edge tests. What the policy pack reads
// from them, the tests read with the pack's own readers (policies/k8s, policies/rules/*), never a copy.
import type { PolicyResource } from "../../policies/framework";
import { metaName, ofKind, workloads } from "../../policies/k8s";
import { policyResources } from "../../stacks/resources";
import type { RegisteredResource, StackRun } from "../harness";

/** Every resource registered under one of the components of these modules (e.g. "data", "workloads", "edge"). */
export function childrenOf(run: StackRun, modules: string[]): RegisteredResource[] {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const mine = (r: RegisteredResource): boolean => {
        const parent = byUrn.get(r.parent);
        if (!parent) return false;
        return modules.some((m) => parent.type.startsWith(`media-platform:${m}:`)) || mine(parent);
    };
    return run.resources.filter((r) => r.custom && mine(r));
}

/** The Kubernetes object of a kind and metadata.name, as the rules see it. */
export function resourceOf(run: StackRun, kind: string, name: string): PolicyResource {
    const found = ofKind(policyResources(run.resources), kind).filter((r) => metaName(r) === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
    return found[0];
}

/** The Kubernetes object a resource registers, by kind and metadata.name. */
export function object(run: StackRun, kind: string, name: string): Record<string, any> {
    return resourceOf(run, kind, name).props;
}

/** The workloads' objects (Deployments, StatefulSets, DaemonSets). */
export const workloadsOf = (run: StackRun) => workloads(policyResources(run.resources)).map((r) => r.props);
