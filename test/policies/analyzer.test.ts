// The analyzer protocol end to end: the real pack process, spoken to as the Pulumi engine does.
import type { RegisteredResource } from "../../stacks/offline";
import { PolicyPackProcess } from "../../cli/analyzer";
import { UNKNOWN } from "../../policies/framework";
import { reconcilePolicyConfig, parsePolicyConfig } from "../../cli/policyConfig";
import { RULES } from "../../policies/rules";
import { deployment, withProbes } from "./helpers";
import { ensurePolicyPackBuilt } from "../../cli/packBuild";

/** A registered resource (what runStackOffline records) from a rule-test resource. */
function registered(r: ReturnType<typeof deployment>, extra: Partial<RegisteredResource> = {}): RegisteredResource {
    return {
        urn: r.urn, type: r.type, name: r.name, custom: true, inputs: r.props, outputs: r.props, parent: "", provider: "",
        dependencies: [], protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [],
        ...extra,
    };
}

describe("the policy pack over the analyzer protocol", () => {
    let pack: PolicyPackProcess;
    beforeAll(async () => {
        pack = await PolicyPackProcess.start();
    });
    afterAll(() => pack?.close());

    async function configure(given: Record<string, unknown> = {}) {
        const info = await pack.info();
        const { config } = reconcilePolicyConfig(info.policies, info.initialConfig, parsePolicyConfig(given));
        await pack.configure(config);
    }

    it("describes every rule of the pack with its level, severity, remediation and thresholds (GetAnalyzerInfo)", async () => {
        const info = await pack.info();
        expect(info.name).toBe("media-platform");
        expect(info.version).toBe(require("../../policies/package.json").version);
        expect(info.policies.map((p) => p.name).sort()).toEqual(RULES.map((r) => r.name).sort());
        const pdb = info.policies.find((p) => p.name === "pdb-for-multi-replica")!;
        expect(pdb).toMatchObject({ enforcementLevel: "mandatory", severity: "medium", remediationSteps: expect.stringContaining("PodDisruptionBudget") });
        expect(pdb.configSchema!.properties.minReplicas).toMatchObject({ type: "integer", default: 2 });
    });

    it("reports a resource rule's violation against the resource's URN, at the configured level", async () => {
        const bare = registered(deployment("web", { replicas: 1, containers: [{ name: "web", image: "ghcr.io/mastodon/mastodon:v4.3.2" }] }));
        const fine = registered(deployment("streaming", { replicas: 1, containers: [withProbes({ name: "streaming", image: "x:1" })] }));
        await configure();
        let ds = (await pack.analyzeAll([bare, fine])).filter((d) => d.policyName === "probes-on-every-container");
        expect(ds).toEqual([expect.objectContaining({ enforcementLevel: "mandatory", urn: bare.urn, message: expect.stringContaining("container web has no readinessProbe and no livenessProbe") })]);

        await configure({ "probes-on-every-container": "advisory" });
        ds = (await pack.analyzeAll([bare])).filter((d) => d.policyName === "probes-on-every-container");
        expect(ds.map((d) => d.enforcementLevel)).toEqual(["advisory"]);

        await configure({ "probes-on-every-container": { enforcementLevel: "disabled" } });
        expect((await pack.analyzeAll([bare])).filter((d) => d.policyName === "probes-on-every-container")).toEqual([]);

        await configure({ "probes-on-every-container": { exemptContainers: ["web"] } });
        expect((await pack.analyzeAll([bare])).filter((d) => d.policyName === "probes-on-every-container")).toEqual([]);
    });

    it("reports a stack rule's violations against the resources they name, with per-stack thresholds (AnalyzeStack)", async () => {
        const web = registered(deployment("web", { replicas: 3, containers: [withProbes({ name: "web", image: "x:1" })] }));
        await configure();
        const ds = (await pack.analyzeAll([web])).filter((d) => d.policyName === "pdb-for-multi-replica");
        expect(ds).toEqual([expect.objectContaining({ enforcementLevel: "mandatory", urn: web.urn, message: expect.stringContaining("runs 3 replicas but no PodDisruptionBudget") })]);
        await configure({ "pdb-for-multi-replica": { minReplicas: 4 } });
        expect((await pack.analyzeAll([web])).filter((d) => d.policyName === "pdb-for-multi-replica")).toEqual([]);
    });

    it("never passes silently on a value unknown during preview: the mandatory rule reports it", async () => {
        const d = deployment("web", { containers: [] });
        d.props.spec.template.spec.containers = UNKNOWN;
        await configure();
        const ds = (await pack.analyzeAll([registered(d)])).filter((x) => x.policyName === "probes-on-every-container");
        expect(ds).toEqual([expect.objectContaining({ enforcementLevel: "mandatory", message: expect.stringContaining("cannot decide during preview") })]);
    });
});

describe("the pack as the Pulumi CLI starts it", () => {
    it("serves from policies/ through @pulumi/pulumi/cmd/run-policy-pack: its bundle, freshly built", async () => {
        ensurePolicyPackBuilt();
        const pack = await PolicyPackProcess.start({ runner: "pulumi" });
        try {
            const info = await pack.info();
            expect(info.policies).toHaveLength(RULES.length);
        } finally {
            await pack.close();
        }
    });
});
