// Turns the pack's rules into CrossGuard policies. The engine (or the offline check) talks to the analyzer
// that `new PolicyPack` serves; each rule becomes a resource policy (Analyze) or a stack policy (AnalyzeStack).
import type { PolicyResource as EngineResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { configOf, guarded, type PolicyResource, type Rule } from "./framework";

// @pulumi/policy wraps props in a proxy that throws on unknown values, which would end a whole stack rule at
// the first unknown anywhere; rules look at the raw values instead and report what they cannot decide.
const PROXY_TARGET = "__getSpecialProxyTarget";

function raw<T>(value: T): T {
    return value !== null && typeof value === "object" && (value as any)[PROXY_TARGET] !== undefined ? (value as any)[PROXY_TARGET] : value;
}

/** A resource of AnalyzeStack, with its parent and dependencies as the engine resolved them. */
function fromStack(r: EngineResource): PolicyResource {
    return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        props: raw(r.props),
        protect: r.opts.protect,
        parent: r.parent?.urn ?? r.opts.parent,
        dependencies: r.dependencies.map((d) => d.urn),
        provider: r.provider ? { urn: r.provider.urn, type: r.provider.type, name: r.provider.name } : undefined,
    };
}

/** The resource of one Analyze call (its inputs). */
function fromAnalyze(a: ResourceValidationArgs): PolicyResource {
    return {
        urn: a.urn,
        type: a.type,
        name: a.name,
        props: raw(a.props),
        protect: a.opts.protect,
        parent: a.opts.parent,
        dependencies: [],
        provider: a.provider ? { urn: a.provider.urn, type: a.provider.type, name: a.provider.name } : undefined,
    };
}

const thresholds = (rule: Rule, given: object) => configOf(rule, given as Record<string, unknown>);

/** The CrossGuard policy for one rule. */
export function toPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
    const common = {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        severity: rule.severity,
        remediationSteps: rule.remediationSteps,
        tags: [rule.family],
        configSchema: { properties: rule.config as Record<string, any> },
    };
    if (rule.checkResource) {
        const check = rule.checkResource;
        return {
            ...common,
            validateResource: (args, reportViolation) => {
                const report = (message: string) => reportViolation(message);
                guarded(report, undefined, () => check(fromAnalyze(args), thresholds(rule, args.getConfig()), report));
            },
        };
    }
    const checkStack = rule.checkStack!;
    return {
        ...common,
        validateStack: (args, reportViolation) => {
            const report = (message: string, urn?: string) => reportViolation(message, urn);
            guarded(report, undefined, () => checkStack(args.resources.map(fromStack), thresholds(rule, args.getConfig()), report));
        },
    };
}
