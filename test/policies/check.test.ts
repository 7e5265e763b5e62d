// The offline check end to end: every outage of design.md, replayed as a stack file, run under mocks and sent to
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

    it(`is rejected through check by ${rules.join(" and ")} (mandatory)`, () => {
        for (const rule of rules) {
            expect(result.violations).toContainEqual(expect.objectContaining({ policy: rule, enforcementLevel: "mandatory", resource: expect.anything() }));
        }
        expect(result.mandatory).toBeGreaterThan(0);
    });

    it("prints exactly its golden text and JSON", () => expectGolden(path.basename(file, ".yaml").replace(/^Pulumi\./, ""), result));

    it("is rejected by the same rules run in-process on its registered resources", () => {
        const resources = policyResources(result.run!.resources);
        for (const name of rules) {
            const rule = RULES.find((r) => r.name === name)!;
            expect(evaluate(rule, resources).length).toBeGreaterThan(0);
        }
    });
});

describe("the check command", () => {
    it("prints violations grouped by rule with resource names, then the summary", async () => {
        const out = formatCheck(results.get("Pulumi.proxy-connections.yaml")!);
        expect(out).toMatch(/^MANDATORY nginx-client-capacity \(1\) — nginx holds the expected peak/m);
        expect(out).toMatch(/^ {2}- proxy \(kubernetes:apps\/v1:Deployment\): edge-proxy: peak 400 clients × 1\.25 headroom .* needs 500 clients, holds 400\.$/m);
        expect(out).toMatch(/^Capacity summary \(used \/ limit\):$/m);
        expect(out).toMatch(/^ {2}edge-proxy: peak 400 clients .*█+!.* 500 \/ 400 clients +125 %$/m);
        expect(out).toMatch(/^FAILED: \d+ mandatory violations?/m);
    });

    it("exits 3 on a mandatory violation, with --json for machines", async () => {
        const { code, out } = await cli(["check", "--stack-file", replayFile("prune-tenant-data"), "--json"]);
        expect(code).toBe(3);
        const json = JSON.parse(out);
        expect(json).toMatchObject({ stack: "prune-tenant-data", environment: "dev", policyPack: { name: "media-platform" } });
        expect(json.violations).toContainEqual(expect.objectContaining({ policy: "tenant-data-never-pruned", enforcementLevel: "mandatory", resource: { name: "flux-shard-1-root", type: "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization" } }));
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
        expect(r.out).toMatch(/^check review-of-dev \(.*\): \d+ resources, .*policy config policies\/config\/dev\.json \(environment dev\)$/m);
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
