// The capacity summary: every budget of the stack, computed from the registered resources by the same
// functions the policy pack's capacity rules check (so the summary and the verdict never disagree). `check`,
// `capacity report`, up and preview print it (cli/report).
import type { Budget } from "../contract/budget";
import { configOf, MissingFact, Undecided, type PolicyResource, type Rule } from "./framework";
import { RULES } from "./rules";

export interface Summary {
    budgets: (Budget & { rule: string })[];
    /** Budgets that could not be computed (a value unknown at preview, a fact missing): "rule: what". */
    undecided: string[];
}

/**
 * Every budget of the stack. `properties` are the per-policy thresholds (policy name → properties), e.g. the
 * reconciled per-stack policy config; a policy missing there uses its schema defaults.
 */
export function stackBudgets(resources: PolicyResource[], properties: Record<string, Record<string, unknown> | undefined> = {}, rules: Rule[] = RULES): Summary {
    const out: Summary = { budgets: [], undecided: [] };
    for (const rule of rules) {
        if (!rule.budgets) continue;
        try {
            for (const b of rule.budgets(resources, configOf(rule, properties[rule.name] ?? {}))) {
                const { urn: _urn, ...budget } = b;
                out.budgets.push({ ...budget, rule: rule.name });
            }
        } catch (e) {
            if (e instanceof Undecided || e instanceof MissingFact) out.undecided.push(`${rule.name}: ${e.message}`);
            else throw e;
        }
    }
    return out;
}
