// Turns the pack's rules into CrossGuard policies. The engine (or the offline check) talks to the analyzer
// that `new PolicyPack` serves; each rule becomes a resource policy (Analyze) or a stack policy (AnalyzeStack).
import { UnknownValueError, type PolicyResource as EngineResource, type ResourceValidationArgs, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { configOf, guarded, UNKNOWN, type PolicyResource, type Rule } from "./framework";

/**
 * The plain value behind @pulumi/policy's unknown-checking proxy. The proxy throws UnknownValueError on a value
 * not known during preview, which would end a whole stack rule at the first unknown anywhere; rules see the
 * contract's UNKNOWN marker there instead, and report what they cannot decide.
 */
export function plain(value: unknown): any {
    if (value === null || typeof value !== "object") return value;
    const read = (get: () => unknown) => {
        try {
            return plain(get());
        } catch (e) {
            if (e instanceof UnknownValueError) return UNKNOWN;
            throw e;
        }
    };
    if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => read(() => value[i]));
    return Object.fromEntries(Object.keys(value).map((k) => [k, read(() => (value as Record<string, unknown>)[k])]));
}

/**
 * `props` converted from the engine's on first read, then kept: a rule reads the few kinds it checks, and the
 * rest (the CRDs above all, most of the bytes) are never walked.
 */
function lazyProps<T extends Omit<PolicyResource, "props">>(resource: T, engineProps: unknown): T & Pick<PolicyResource, "props"> {
    let props: Record<string, any> | undefined;
    return Object.defineProperty(resource, "props", { enumerable: true, get: () => (props ??= plain(engineProps)) }) as T & Pick<PolicyResource, "props">;
}

/** A resource of AnalyzeStack, with its parent and dependencies as the engine resolved them. */
function fromStack(r: EngineResource): PolicyResource {
    const resource = {
        urn: r.urn,
        type: r.type,
        name: r.name,
        protect: r.opts.protect,
        parent: r.parent?.urn ?? r.opts.parent,
        dependencies: r.dependencies.map((d) => d.urn),
        provider: r.provider ? { urn: r.provider.urn, type: r.provider.type, name: r.provider.name } : undefined,
    };
    return lazyProps(resource, r.props);
}

/** The resource of one Analyze call (its inputs). */
function fromAnalyze(a: ResourceValidationArgs): PolicyResource {
    const resource = {
        urn: a.urn,
        type: a.type,
        name: a.name,
        protect: a.opts.protect,
        parent: a.opts.parent,
        dependencies: [],
        provider: a.provider ? { urn: a.provider.urn, type: a.provider.type, name: a.provider.name } : undefined,
    };
    return lazyProps(resource, a.props);
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
