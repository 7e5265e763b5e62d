// Finding registered objects in a stack run, for the data, workloads and edge tests. What the policy pack reads
// from them, the tests read with the pack's own readers (policies/rules/*), never a copy.
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

/** The Kubernetes object a resource registers, by kind and metadata.name. */
export function object(run: StackRun, kind: string, name: string): Record<string, any> {
    const found = run.resources.filter((r) => r.inputs.kind === kind && r.inputs.metadata?.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
    return found[0].inputs;
}

export const workloadsOf = (run: StackRun) =>
    run.resources.filter((r) => ["Deployment", "StatefulSet"].includes(r.inputs.kind)).map((r) => r.inputs);

export const envOf = (container: any, name: string): string | undefined => container.env?.find((e: any) => e.name === name)?.value;




