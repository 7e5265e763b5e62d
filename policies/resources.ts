// Registered resources (stacks/offline) → what rules see, exactly as they would travel to the analyzer:
// plain JSON, unknown values as the engine's unknown sentinel, resource references as text.
import type { RegisteredResource } from "../stacks/offline";
import { UNKNOWN, type PolicyResource } from "./framework";

/** Plain JSON of a property bag the way the engine marshals it for analyzers. */
export function plainProps(value: Record<string, unknown>): Record<string, any> {
    const text = JSON.stringify(value, (_k, v) => {
        if (v !== null && typeof v === "object") {
            if ((v as any).__pulumiUnknown === true) return UNKNOWN;
            if ((v as any).__pulumiResource === true) return "[resource]";
        }
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
