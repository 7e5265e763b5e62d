// A policy violation as operators read it, from `check` (the analyzer's diagnostics) and from the engine's
// policy events alike: Pulumi's names, the rule's remediation steps, and the smallest config change that
// clears it where its budget can compute one.
import type { Summary } from "../../policies/summary";
import type { PlatformConfig } from "../../config/schema";
import { rulesAsPolicyInfo, type PolicyInfo } from "../policyConfig";
import { budgetOfViolation, fixesOf, type Fix } from "./fixes";
import { hang, paintStatus, wrap } from "./text";
import { paint } from "../terminal";

/** The fields of Pulumi's policy event (engine events, `pulumi preview --json`) and what we add. */
export interface PolicyViolation {
    policyName: string;
    policyPackName?: string;
    enforcementLevel: "mandatory" | "advisory" | "remediate" | "disabled" | "warning";
    message: string;
    /** The resource it is about; "" for the stack. */
    resourceUrn?: string;
}

export interface ExplainedViolation {
    policyName: string;
    policyPackName?: string;
    enforcementLevel: PolicyViolation["enforcementLevel"];
    severity?: string;
    /** The rule's one line. */
    description?: string;
    message: string;
    resourceUrn?: string;
    /** The resource's logical name and type, when it names one. */
    resource?: { name: string; type: string };
    remediationSteps?: string;
    /** The smallest config change that clears it, where its budget computes one. */
    fix?: Fix;
}

/** A violation from the engine's policy event, whose message is the rule's description, a line break, then what was found. */
export function fromEngine<V extends PolicyViolation>(v: V): V & { description?: string } {
    const at = v.message.indexOf("\n");
    return at > 0 ? { ...v, description: v.message.slice(0, at).trim(), message: v.message.slice(at + 1).trim() } : v;
}

/** The pack's policies as the engine knows them (the pack in policies/ is the one it runs). */
export function localPolicies(): PolicyInfo[] {
    return rulesAsPolicyInfo();
}

/** Adds each violation's rule description, severity, remediation steps and, where computable, its fix. */
export function explain<V extends PolicyViolation & { description?: string; severity?: string }>(
    violations: readonly V[],
    opts: { policies?: readonly PolicyInfo[]; summary?: Summary; config?: PlatformConfig; projectRoot?: string } = {},
): (V & ExplainedViolation)[] {
    const policies = new Map((opts.policies ?? localPolicies()).map((p) => [p.name, p]));
    const fixes = opts.summary && opts.config ? fixesOf(opts.summary.budgets, opts.config, opts.projectRoot) : new Map<string, Fix>();
    return violations.map((v) => {
        const p = policies.get(v.policyName);
        const budget = opts.summary ? budgetOfViolation(v, opts.summary.budgets) : undefined;
        const fix = budget ? fixes.get(budget.id) : undefined;
        const resource = v.resourceUrn ? { name: v.resourceUrn.slice(v.resourceUrn.lastIndexOf("::") + 2), type: typeOfUrn(v.resourceUrn) } : undefined;
        const description = v.description ?? p?.description;
        return {
            ...v,
            description,
            severity: v.severity ?? p?.severity,
            ...("resource" in v ? {} : resource ? { resource } : {}),
            remediationSteps: p?.remediationSteps,
            ...(fix ? { fix } : {}),
        };
    });
}

/** The type token of a URN (urn:pulumi:stack::project::parent$…$type::name). */
export function typeOfUrn(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.slice(qualified.lastIndexOf("$") + 1);
}

const LEVELS = ["mandatory", "remediate", "advisory", "warning", "disabled"];

/** Violations grouped by level then rule, mandatory first. */
export function byRule<V extends ExplainedViolation>(violations: readonly V[]): { level: string; policyName: string; violations: V[] }[] {
    const groups = new Map<string, V[]>();
    for (const v of violations) groups.set(`${v.enforcementLevel}\u0000${v.policyName}`, [...(groups.get(`${v.enforcementLevel}\u0000${v.policyName}`) ?? []), v]);
    return [...groups]
        .map(([k, vs]) => ({ level: k.split("\u0000")[0], policyName: k.split("\u0000")[1], violations: vs }))
        .sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.policyName.localeCompare(b.policyName));
}

/**
 * The violations for a terminal: per rule its level, name and description, each violation's resource and
 * message with its fix, then how to fix it (the rule's remediation steps), all wrapped to `width`.
 */
export function formatViolations(violations: readonly ExplainedViolation[], opts: { width?: number; colour?: boolean } = {}): string[] {
    const width = opts.width ?? 100;
    const colour = opts.colour ?? false;
    const lines: string[] = [];
    for (const g of byRule(violations)) {
        const first = g.violations[0];
        const level = g.level === "mandatory" ? paintStatus(colour, "OVER", "MANDATORY") : paint(colour, "yellow", g.level.toUpperCase());
        lines.push("", `${level} ${paint(colour, "bold", g.policyName)} (${g.violations.length})`);
        if (first.description) lines.push(...wrap(first.description, width - 2).map((l) => `  ${paint(colour, "dim", l)}`));
        for (const v of g.violations) {
            const who = v.resource ? `${v.resource.name} (${v.resource.type})` : "the stack";
            lines.push(...hang("  - ", `${who}: ${v.message}`, width, 4));
            if (v.fix) lines.push(...painted(hang("    Smallest fix: ", `${v.fix.change}${v.fix.note ? ` (${v.fix.note})` : ""}`, width, 6), 4, "Smallest fix:", colour));
        }
        if (first.remediationSteps) lines.push(...painted(hang("  How to fix: ", first.remediationSteps, width, 4), 2, "How to fix:", colour));
    }
    return lines;
}

/** Paints the label that starts the first of wrapped lines (wrapping counts plain characters only). */
function painted(lines: string[], at: number, label: string, colour: boolean): string[] {
    if (!colour || lines.length === 0) return lines;
    const [first, ...rest] = lines;
    return [`${first.slice(0, at)}${paint(colour, "bold", label)}${first.slice(at + label.length)}`, ...rest];
}
