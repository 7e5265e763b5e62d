// The offline check end to end: every outage of docs/outages.md, replayed as a stack file, run under mocks and sent to
// the real policy pack process over the analyzer protocol, is rejected by the rules named for it (through
// `check` and in-process); and the command's output and exit codes. (The shipped stacks: rules.test.ts.)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../cli/main";
import { formatCheck, runCheck, type CheckResult } from "../../cli/commands/check";
import { PolicyPackProcess } from "../../cli/analyzer";
import { evaluate } from "../../policies/framework";
import { policyResources } from "../../stacks/resources";
import { RULES } from "../../policies/rules";
import { stackFile } from "../../config/load";
import { REPLAY_DIR, REPLAYS, replayFile } from "../replays/outages";
import { expectGolden } from "./golden";
import { expectRejectedBy } from "./helpers";


const OUTAGES = REPLAYS.map((r): [string, string, string[]] => [r.outage, path.basename(replayFile(r.name)), r.rules]);

let pack: PolicyPackProcess;
beforeAll(async () => {
    pack = await PolicyPackProcess.start();
});
afterAll(() => pack?.close());

/** Runs `platform <argv>` in-process, returning its exit code and what it printed. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
    const write = jest.spyOn(process.stderr, "write").mockImplementation((s: any) => (err.push(String(s)), true));
    try {
        return { code: await main(argv), out: out.join("\n"), err: err.join("") };
    } finally {
        log.mockRestore();
        write.mockRestore();
    }
}

/** Each replay's check, kept for the output tests below. */
const results = new Map<string, CheckResult>();

describe.each(OUTAGES)("outage %s", (_outage, file, rules) => {
    let result: CheckResult;
    beforeAll(async () => {
        result = await runCheck({ stackFile: path.join(REPLAY_DIR, file), pack, keepRun: true });
        results.set(file, result);
    });

    it(`is rejected through check by ${rules.join(" and ")} (mandatory)`, () => expectRejectedBy(result, rules));

    it("prints exactly its golden text and JSON", () => expectGolden(`replays/${path.basename(file, ".yaml").replace(/^Pulumi\./, "")}`, result));

    it("is rejected by the same rules run in-process on its registered resources", () => {
        const resources = policyResources(result.run!.resources);
        for (const name of rules) {
            const rule = RULES.find((r) => r.name === name)!;
            expect(evaluate(rule, resources).length).toBeGreaterThan(0);
        }
    });
});

describe("the check command", () => {
    it("prints violations grouped by rule with resource names, fixes and remediation steps, then the summary", async () => {
        const out = formatCheck(results.get("Pulumi.proxy-connections.yaml")!, { width: 120 });
        expect(out).toMatch(/^MANDATORY nginx-client-capacity \(1\)\n {2}nginx holds the expected peak/m);
        expect(out).toMatch(/^ {2}- proxy \(kubernetes:apps\/v1:Deployment\): edge-proxy: peak 400 clients × 1\.25 headroom .*\n {4}.*needs 500 clients, holds 400\.$/m);
        // The stack sizes nginx for peak × its own headroom (1 in the replay); the rule asks for 1.25.
        expect(out).toMatch(/^ {4}Smallest fix: edge\.proxy\.headroom 1 → 1\.25 /m);
        expect(out).toMatch(/^ {2}How to fix: Raise worker_connections/m);
        expect(out).toMatch(/^Capacity: \d+ budgets — 1 OVER, /m);
        expect(out).toMatch(/^nginx-client-capacity\n {2}edge-proxy: peak 400 clients .*█+! +500 \/ 400 clients +125 % +OVER$/m);
        expect(out).toMatch(/^FAILED: \d+ mandatory violations?/m);
        expect(Math.max(...out.split("\n").map((l) => l.length))).toBeLessThanOrEqual(120);
    });

    it("names the smallest config change that clears a budget where it can compute one", () => {
        const fixOf = (file: string, rule: string) => results.get(file)!.violations.filter((v) => v.policyName === rule).map((v) => v.fix?.change);
        // 185 worker + 20 web + 10 streaming threads against one PgBouncer pod.
        expect(fixOf("Pulumi.db-connections.yaml", "database-connection-budget")).toEqual(["data.pooler.maxClientConn 200 → 215"]);
        // As `shards plan --stack` prints it for the replay's 5000 tenants.
        expect(fixOf("Pulumi.rollout-overrun.yaml", "flux-rollout-fits-window")).toEqual([expect.stringMatching(/^flux\.shards 1 → \d+$/)]);
        // 39.27 cores needed at 3.92 allocatable per m6in.xlarge.
        expect(fixOf("Pulumi.rollout-cpu.yaml", "flux-rollout-cpu")).toEqual(["nodePools[general].size.desired 3 → 11"]);
        expect(fixOf("Pulumi.storage-saturation.yaml", "storage-node-baseline-bandwidth").sort()).toEqual(["ceph-1", "ceph-2", "ceph-3"].map((n) => `storage.nodes[${n}].nicGbps 1 → 10`));
        // No single key clears these: the rule's remediation steps say what to do.
        expect(fixOf("Pulumi.db-connections.yaml", "single-scheduler")).toEqual([undefined, undefined]);
        for (const r of results.values()) for (const v of r.violations) expect(v.remediationSteps).toMatch(/\w/);
    });

    it("exits 3 on a mandatory violation, with --json for machines", async () => {
        const { code, out } = await cli(["check", "--stack-file", replayFile("prune-tenant-data"), "--json"]);
        expect(code).toBe(3);
        const json = JSON.parse(out);
        expect(json).toMatchObject({ stack: "prune-tenant-data", environment: "dev", policyPack: { name: "media-platform" } });
        // Pulumi's policy event names, as `pulumi preview --json` has them.
        expect(json.violations).toContainEqual(
            expect.objectContaining({
                policyName: "tenant-data-never-pruned",
                policyPackName: "media-platform",
                enforcementLevel: "mandatory",
                resourceUrn: expect.stringMatching(/^urn:pulumi:prune-tenant-data::media-platform::.*::flux-shard-1-root$/),
                message: expect.stringContaining("prune"),
                remediationSteps: expect.stringContaining("Keep flux.tenantPruneProtection true"),
                resource: { name: "flux-shard-1-root", type: "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization" },
            }),
        );
        expect(json.run).toBeUndefined();
    });

    it("exits 2 on a stack config error or an invalid policy config, naming the path", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-"));
        const bad = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(bad, fs.readFileSync(stackFile("dev"), "utf8").replace(/maintenanceWindow: 1h/, "maintenanceWindow: soon"));
        let r = await cli(["check", "--stack-file", bad]);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/maintenanceWindow: expected/);
        const policy = path.join(dir, "policy.json");
        fs.writeFileSync(policy, JSON.stringify({ "storage-network-headroom": { headroom: 1.5 } }));
        r = await cli(["check", "--stack", "dev", "--policy-config", policy]);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/storage-network-headroom\.headroom: expected a value that must be <= 1, got 1\.5/);
    });

    it("takes the policy config of the stack's environment whatever the file is called, and says which", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-"));
        const review = path.join(dir, "review of dev.yml");
        fs.copyFileSync(stackFile("dev"), review);
        const r = await cli(["check", "--stack-file", review]);
        expect(r.code).toBe(0);
        // The header wraps to the width: read it as one line.
        expect(r.out.split("\n\n")[0].replace(/\s+/g, " ")).toMatch(/^check review-of-dev \(.*\): \d+ resources, .*policy config policies\/config\/dev\.json \(environment dev\)$/);
        // A homelab stack file named after dev runs under homelab's thresholds (the replay "dev").
        const named = await cli(["check", "--stack-file", replayFile("dev"), "--json"]);
        expect(JSON.parse(named.out)).toMatchObject({ stack: "dev", environment: "homelab", policyConfigFile: path.resolve(__dirname, "../../policies/config/homelab.json") });
    });

    it("warns on stderr when the policy config runs a rule below the level the environment's shipped config gives it", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-"));
        const lax = path.join(dir, "lax.json");
        fs.writeFileSync(lax, JSON.stringify({ "ceph-replica-size": { enforcementLevel: "advisory", minReplicas: 1 }, "no-plain-secrets": "disabled" }));
        const r = await cli(["check", "--stack-file", replayFile("dev"), "--policy-config", lax]);
        expect(r.err).toContain(`warning: ${path.relative(process.cwd(), lax)} runs ceph-replica-size (advisory), which the shipped config of environment homelab makes mandatory\n`);
        expect(r.err).toContain("runs no-plain-secrets (disabled), which the shipped config of environment homelab makes mandatory");
        // Downgraded, the replay's violation no longer stops it: which is why it is said out loud.
        expect(r.code).toBe(0);
        const same = await cli(["check", "--stack-file", replayFile("dev"), "--policy-config", path.resolve(__dirname, "../../policies/config/homelab.json")]);
        expect(same.err).not.toMatch(/warning/);
    });

    it("prints the capacity report of a stack as JSON", async () => {
        const { code, out } = await cli(["capacity", "report", "--stack", "dev", "--json"]);
        expect(code).toBe(0);
        const report = JSON.parse(out);
        const peak = report.summary.budgets.find((b: any) => b.id === "storage.network.peak.dev-storage-1");
        // 10 Gbps × headroom 0.7 × the 0.72 of line rate Ceph's traffic reaches.
        expect(peak).toMatchObject({ unit: "Gbps", rule: "storage-network-headroom" });
        expect(peak.limit).toBeCloseTo(5.04, 9);
        expect(peak.utilisation).toBeCloseTo(peak.used / peak.limit, 10);
    });
});
