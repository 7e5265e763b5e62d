import { ConfigError } from "../../config/errors";
import { stackBudgets } from "../../policies/summary";
import { at, configOf, evaluate, known, rule, Undecided, UNKNOWN } from "../../policies/framework";
import { parsePolicyConfig, reconcilePolicyConfig } from "../../cli/policyConfig";
import { RULES } from "../../policies/rules";
import { rulesAsPolicyInfo } from "../../cli/policyConfig";
import { probes } from "../../policies/rules/workloads";
import { deployment, withProbes } from "./helpers";

describe("rule framework", () => {
    it("every rule declares a unique kebab-case name, a level, remediation steps and a default for every threshold", () => {
        const names = RULES.map((r) => r.name);
        expect(new Set(names).size).toBe(names.length);
        for (const r of RULES) {
            expect(r.description.length).toBeGreaterThan(20);
            expect(r.remediationSteps.length).toBeGreaterThan(40);
            expect(["mandatory", "advisory"]).toContain(r.enforcementLevel);
            for (const [k, p] of Object.entries(r.config as Record<string, any>)) {
                expect({ rule: r.name, k, hasDefault: "default" in p, description: typeof p.description }).toEqual({ rule: r.name, k, hasDefault: true, description: "string" });
            }
        }
    });

    it("rejects a rule with both or neither check", () => {
        expect(() => rule({ ...probes, name: "x", checkStack: () => undefined } as any)).toThrow(/exactly one/);
        expect(() => rule({ ...probes, name: "Bad Name" })).toThrow(/kebab-case/);
    });

    it("fills thresholds from the schema defaults and lets per-stack values override them", () => {
        expect(configOf(probes)).toEqual({ exemptContainers: [] });
        expect(configOf(probes, { exemptContainers: ["sidecar"], enforcementLevel: "advisory" })).toEqual({ exemptContainers: ["sidecar"] });
    });

    it("turns a value unknown at preview into Undecided, and evaluate reports it instead of passing", () => {
        expect(() => known(UNKNOWN, "spec.replicas")).toThrow(Undecided);
        expect(() => at({ spec: UNKNOWN }, "spec.template.spec")).toThrow(/spec is not known/);
        expect(at({ spec: { replicas: 2 } }, "spec.replicas")).toBe(2);
        const d = deployment("web", { containers: [] });
        d.props.spec.template.spec.containers = UNKNOWN;
        const findings = evaluate(probes, [d]);
        expect(findings).toEqual([expect.objectContaining({ rule: "probes-on-every-container", level: "mandatory", urn: d.urn, message: expect.stringMatching(/cannot decide during preview: containers of web/) })]);
        expect(evaluate(probes, [deployment("web", { containers: [withProbes({ name: "web", image: "app:1" })] })])).toEqual([]);
    });
});

describe("policy config, reconciled as the Pulumi CLI does", () => {
    const policies = rulesAsPolicyInfo();

    it("starts from every policy's level and schema defaults, applies `all`, then each policy's entry", () => {
        const { config, unknown } = reconcilePolicyConfig(
            policies,
            {},
            parsePolicyConfig({ all: "advisory", "pdb-for-multi-replica": { enforcementLevel: "mandatory", minReplicas: 3 }, "no-such-policy": "disabled" }),
        );
        expect(config["probes-on-every-container"]).toEqual({ enforcementLevel: "advisory", properties: { exemptContainers: [] } });
        expect(config["pdb-for-multi-replica"]).toEqual({ enforcementLevel: "mandatory", properties: { minReplicas: 3 } });
        expect(unknown).toEqual(["no-such-policy"]);
    });

    it("rejects values outside a threshold's schema and bad enforcement levels, listing every problem", () => {
        expect(() => parsePolicyConfig({ "pdb-for-multi-replica": "sometimes", "dns-autoscaler": 3 })).toThrow(
            expect.objectContaining({ problems: [expect.objectContaining({ path: "pdb-for-multi-replica" }), expect.objectContaining({ path: "dns-autoscaler" })] }),
        );
        const bad = () => reconcilePolicyConfig(policies, {}, parsePolicyConfig({ "pdb-for-multi-replica": { minReplicas: 1 }, "flux-lockdown-flags": { defaultServiceAccount: 7 } }));
        expect(bad).toThrow(ConfigError);
        expect(bad).toThrow(/pdb-for-multi-replica\.minReplicas: expected a value that must be >= 2, got 1/);
        expect(bad).toThrow(/flux-lockdown-flags\.defaultServiceAccount: expected a value that must be string, got 7/);
    });
});

describe("capacity summary", () => {
    it("reports budgets it cannot compute at preview instead of dropping them silently", () => {
        const r = { ...probes, name: "undecided-budget", budgets: () => { throw new Undecided("annotation x"); } };
        expect(stackBudgets([], {}, [r]).undecided).toEqual(["undecided-budget: cannot decide during preview: annotation x is not known until the update runs"]);
    });
});
