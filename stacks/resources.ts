// Registered resources (stacks/offline) → what rules see: plain JSON, a value unknown during preview as the
// contract's UNKNOWN marker (the SDK's own test for one: pulumi.isUnknown), resource references as text.
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN, type PolicyResource } from "../contract/resource";
import type { RegisteredResource } from "./offline";

/** Plain JSON of a property bag the way the engine marshals it for analyzers. */
export function plainProps(value: Record<string, unknown>): Record<string, any> {
    const text = JSON.stringify(value, (_k, v) => {
        if (pulumi.isUnknown(v)) return UNKNOWN;
        if (pulumi.Resource.isInstance(v)) return "[resource]";
        if (typeof v === "bigint") return Number(v);
        return v;
    });
    return text === undefined ? {} : JSON.parse(text);
}

/**
 * A registered resource as a rule sees it. `stack: true` gives what AnalyzeStack sees (outputs, falling back
 * to inputs), otherwise what Analyze sees (inputs).
 */
export function fromRegistered(r: RegisteredResource, all?: Map<string, RegisteredResource>, stack = false): PolicyResource {
    const providerUrn = r.provider ? r.provider.slice(0, r.provider.lastIndexOf("::")) : "";
    const provider = providerUrn ? all?.get(providerUrn) : undefined;
    return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        props: plainProps(stack && Object.keys(r.outputs).length > 0 ? r.outputs : r.inputs),
        protect: r.protect,
        parent: r.parent || undefined,
        dependencies: r.dependencies,
        provider: provider ? { urn: provider.urn, type: provider.type, name: provider.name } : undefined,
    };
}

/** Every registered resource as rules see them. */
export function policyResources(resources: RegisteredResource[], stack = false): PolicyResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    return resources.map((r) => fromRegistered(r, byUrn, stack));
}
