// The rule framework: what every rule of the pack declares (name, description, enforcement level, severity,
// remediation steps, a config schema for its thresholds) and how it reports. Pure: no Pulumi imports, so the
// same rules run inside the analyzer process (policies/pack.ts), in the rule tests and in the capacity summary.
import type { Budget } from "../contract/budget";
import { isUnknown, type PolicyResource } from "../contract/resource";

export { isUnknown, UNKNOWN, type PolicyResource } from "../contract/resource";

/** Capacity and data-safety rules are mandatory; recommendations advisory. */
export type Level = "mandatory" | "advisory";
export type Severity = "low" | "medium" | "high" | "critical";
/** The rule families, one module each under policies/rules/. */
export type Family = "storage" | "flux" | "data" | "workloads" | "edge" | "media" | "safety";


/** One threshold of a rule: a JSON-schema property with its default (the engine fills defaults in). */
export interface ConfigProperty<T> {
    type: T extends number ? "number" | "integer" : T extends boolean ? "boolean" : T extends string ? "string" : "array";
    default: T;
    description: string;
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    enum?: T[];
    items?: { type: string };
}
export type ConfigSchema<C> = { [K in keyof C]: ConfigProperty<C[K]> };

/** Reports a violation; `urn` attaches it to a resource (stack rules), defaulting to the resource checked. */
export type Report = (message: string, urn?: string) => void;

/** A budget a capacity rule checks, tied to the resource its figures are read from. */
export interface RuleBudget extends Budget {
    urn?: string;
}

export interface Rule<C = any> {
    /** Policy name, kebab-case, unique in the pack. */
    name: string;
    family: Family;
    /** One line: what must hold. The engine prints it first in every diagnostic. */
    description: string;
    enforcementLevel: Level;
    severity: Severity;
    /** What an operator does to fix a violation. */
    remediationSteps: string;
    /** Thresholds, each with a default; per-stack values come from policies/config/<stack>.json. */
    config: ConfigSchema<C>;
    /** Checks one resource (the engine's Analyze, called per resource with its inputs). */
    checkResource?(r: PolicyResource, config: C, report: Report): void;
    /** Checks the whole stack (the engine's AnalyzeStack, called once with every resource). */
    checkStack?(resources: PolicyResource[], config: C, report: Report): void;
    /** Capacity rules: the budgets they compare (used ≤ limit), for the capacity summary. */
    budgets?(resources: PolicyResource[], config: C): RuleBudget[];
}

/** Declares a rule (keeps the config type tied to its schema). */
export function rule<C>(r: Rule<C>): Rule<C> {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(r.name)) throw new Error(`rule name ${r.name}: expected kebab-case`);
    if ((r.checkResource === undefined) === (r.checkStack === undefined)) {
        throw new Error(`rule ${r.name}: expected exactly one of checkResource or checkStack`);
    }
    return r;
}

/** Reports every budget over its limit, with the operator's explanation of the figures. */
export function reportOverBudget(budgets: RuleBudget[], report: Report, explain: (b: RuleBudget) => string): void {
    for (const b of budgets) if (b.used > b.limit) report(explain(b), b.urn);
}

/** The rule's thresholds: its schema defaults, overridden by the given (per-stack) values. */
export function configOf<C>(r: Rule<C>, given: Record<string, unknown> = {}): C {
    const out: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(r.config as Record<string, ConfigProperty<unknown>>)) out[k] = p.default;
    for (const [k, v] of Object.entries(given)) if (k !== "enforcementLevel" && v !== undefined) out[k] = v;
    return out as C;
}


/** Thrown when a value a rule needs is not known during preview; the rule reports it, never passes. */
export class Undecided extends Error {
    constructor(readonly what: string) {
        super(`cannot decide during preview: ${what} is not known until the update runs`);
    }
}

/** A fact a rule needs that the registered resources do not carry (an annotation missing, say): a violation. */
export class MissingFact extends Error {}

/** The value, or Undecided when it is unknown at preview. */
export function known<T>(value: T, what: string): T {
    if (isUnknown(value)) throw new Undecided(what);
    return value;
}

/** A value at a path of an object, walking through unknowns (throws Undecided naming the path). */
export function at(obj: unknown, path: string): any {
    let cur: any = obj;
    const parts = path.split(".");
    for (let i = 0; i < parts.length; i++) {
        if (isUnknown(cur)) throw new Undecided(parts.slice(0, i).join(".") || "the resource");
        if (cur === undefined || cur === null) return undefined;
        cur = cur[parts[i]];
    }
    if (isUnknown(cur)) throw new Undecided(path);
    return cur;
}

/**
 * Runs `fn` for each resource and turns an Undecided into a report on that resource, so one unknown value
 * never hides the verdict on the others and never passes silently.
 */
export function forEach(resources: PolicyResource[], report: Report, fn: (r: PolicyResource) => void): void {
    for (const r of resources) guarded(report, r.urn, () => fn(r));
}

/** One violation found by running a rule in-process (the analyzer's diagnostics, without the transport). */
export interface Finding {
    rule: string;
    level: Level;
    urn: string;
    message: string;
}

/**
 * Runs a rule over resources in-process exactly as the pack adapter does (Analyze per resource for resource
 * rules, AnalyzeStack once for stack rules; Undecided reported, never passed), with the rule's defaults
 * overridden by `given`.
 */
export function evaluate<C>(r: Rule<C>, resources: PolicyResource[], given: Partial<C> = {}): Finding[] {
    const config = configOf(r, given as Record<string, unknown>);
    const out: Finding[] = [];
    const push = (fallback: string) => (message: string, urn?: string) => out.push({ rule: r.name, level: r.enforcementLevel, urn: urn ?? fallback, message });
    if (r.checkResource) for (const res of resources) guarded(push(res.urn), res.urn, () => r.checkResource!(res, config, push(res.urn)));
    else guarded(push(""), undefined, () => r.checkStack!(resources, config, push("")));
    return out;
}

/** Runs `fn`, reporting an Undecided (against `urn`) instead of throwing it. */
export function guarded(report: Report, urn: string | undefined, fn: () => void): void {
    try {
        fn();
    } catch (e) {
        if (e instanceof Undecided || e instanceof MissingFact) report(e.message, urn);
        else throw e;
    }
}
