// What a run changes, sorted for review: replacements and deletions of resources that hold data first (a
// replaced StatefulSet, Ceph cluster or bucket starts empty, or is refused by the engine when protected),
// then every other change.
import type { OpType } from "@pulumi/pulumi/automation";
import { CACHE_FACTS } from "../../contract/facts";
import type { PolicyResource } from "../../contract/resource";
import { isStateful } from "../../policies/rules/safety";
import { changes, type EngineRun, type Step } from "../engine";

/** The operation as a reviewer names it: the engine's replace steps (create-replacement, …) are one replace. */
export type Change = "create" | "update" | "replace" | "delete" | "import" | "other";

export function changeOf(op: OpType): Change {
    switch (op) {
        case "create":
        case "update":
        case "delete":
        case "import":
            return op;
        case "replace":
        case "create-replacement":
        case "delete-replaced":
        case "import-replacement":
            return "replace";
        default:
            return "other";
    }
}

export interface ChangedResource {
    step: Step;
    change: Change;
    /** It holds data (protected, or a stateful type) and this change destroys it: replace or delete. */
    destroysData: boolean;
}

/**
 * Holds data: protected in the stack, of a type whose deletion loses data (the safety rule's list), or a cache that
 * a replacement empties (the Redis cache: the timelines it holds are rebuilt slowly, under load).
 */
export function holdsData(s: Step): boolean {
    return s.resource !== undefined && (s.resource.protect || isStateful(s.resource) || emptiesOnReplace(s.resource));
}

function emptiesOnReplace(r: PolicyResource): boolean {
    const decoded = CACHE_FACTS.decode(r.props?.metadata?.annotations);
    return "facts" in decoded && decoded.facts.emptiesOnReplace;
}

/** Every changed resource, data-destroying ones first, then in the engine's order. */
export function changedResources(run: Pick<EngineRun, "steps">): ChangedResource[] {
    const out = run.steps.filter(changes).map((step) => {
        const change = changeOf(step.op);
        return { step, change, destroysData: (change === "replace" || change === "delete") && holdsData(step) };
    });
    return [...out.filter((c) => c.destroysData), ...out.filter((c) => !c.destroysData)];
}
