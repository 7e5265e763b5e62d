// The real `pulumi preview` of dev with 10 and with 10,000 tenants in its registry (issue 6). Tenants are not Pulumi
// resources — the stack reads the registry and its lock only to size the Flux shards — so both previews register
// the same resources and take about the same time. Target: the 10,000-tenant preview within 1.2× of the
// 10-tenant one, with equal resource counts.
//
// Each case is dev's own stack file with only tenants.registry changed to a generated registry (seeded; dev's
// plans) with its shard lock written beside it as `shards plan --write` would. Every preview runs on a temp file
// backend through the pinned engine (scripts/engine); the wall time is the whole `pulumi preview` process.
// Run: npx tsx bench/preview.ts [--runs 3] [--policy-pack]
//   --policy-pack  preview with the policy pack and dev's policy config, as a pull request does (10,000 tenants on
//                  dev's 3 shards overrun the 1 h window, so that preview fails flux-rollout-fits-window; its
//                  wall time still counts)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as YAML from "yaml";
import { rolloutModelOf } from "../capacity/rollout";
import { durationSeconds } from "../config/fields";
import { loadStackFile, readStackFileConfig, stackFile } from "../config/load";
import { EngineUnavailable, formatEngineUnavailable, LOCAL_PASSPHRASE, resolveEngine, StackWorkspace, type Engine } from "../cli/engine";
import { policyConfigFileFor } from "../policies/policyConfig";
import { formatLock } from "../tenants/lock";
import { formatRegistry, generateTenants } from "../tenants/names";
import { planTenants } from "../tenants/plan";
import { lockOf } from "../tenants/shards";
import { table } from "./measure";

const CASES = [10, 10_000];
const SEED = 6_2026;
/** dev's plans with the share of tenants on each. */
const DEV_PLANS = [
    ["basic", 70],
    ["plus", 30],
] as const;

interface CaseResult {
    tenants: number;
    registryKiB: number;
    resources: number;
    seconds: number[];
    exitCodes: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Writes the registry, its lock and the stack file of one case; returns the stack file. */
function writeCase(dir: string, count: number): { file: string; registryKiB: number } {
    const dev = loadStackFile(stackFile("dev"));
    const tenants = generateTenants({ count, seed: SEED, plans: DEV_PLANS });
    const registry = path.join(dir, `tenants-${count}.yaml`);
    fs.writeFileSync(registry, formatRegistry(tenants, [`bench/preview.ts: ${count} generated tenants (seed ${SEED})`], DEV_PLANS[0][0]));
    const plan = planTenants(tenants, { shards: dev.flux.shards, model: rolloutModelOf(dev.flux), windowSeconds: durationSeconds(dev.maintenanceWindow) });
    fs.writeFileSync(path.join(dir, `tenants-${count}.lock.yaml`), formatLock(lockOf(plan), path.basename(registry)));
    const config = readStackFileConfig(stackFile("dev"));
    config["media-platform:tenants"] = { ...(config["media-platform:tenants"] as object), registry };
    const file = path.join(dir, "stacks", `Pulumi.bench-${count}.yaml`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, YAML.stringify({ config }));
    return { file, registryKiB: fs.statSync(registry).size / 1024 };
}

async function runCase(engine: Engine, dir: string, count: number, runs: number, policyPack: boolean): Promise<CaseResult> {
    const { file, registryKiB } = writeCase(dir, count);
    const ws = await StackWorkspace.open({ stackFile: file, engine, backendUrl: `file://${path.join(dir, "state")}`, passphrase: LOCAL_PASSPHRASE, workDir: path.join(dir, "work") });
    const policyConfig = policyPack ? policyConfigFileFor("dev", "dev") : false;
    const result: CaseResult = { tenants: count, registryKiB, resources: 0, seconds: [], exitCodes: [] };
    // One unmeasured run first: it warms the OS file cache and tsx's transform cache for both cases alike.
    for (let i = 0; i <= runs; i++) {
        const run = await ws.preview({ policyConfig, args: ["--json"] });
        if (run.stdout.trim() === "") throw new Error(`pulumi preview of ${count} tenants printed no JSON (exit ${run.code}):\n${run.output}`);
        const digest = JSON.parse(run.stdout) as { steps?: unknown[]; changeSummary?: Record<string, number> };
        const resources = Object.values(digest.changeSummary ?? {}).reduce((a, b) => a + b, 0);
        if (i === 0) result.resources = resources;
        else if (resources !== result.resources) throw new Error(`resource count changed between runs: ${result.resources} → ${resources}`);
        if (i > 0) {
            result.seconds.push(run.seconds);
            result.exitCodes.push(run.code);
        }
        process.stderr.write(`  ${count} tenants, ${i === 0 ? "warm-up" : `run ${i}/${runs}`}: ${run.seconds.toFixed(2)} s, ${resources} resources, exit ${run.code}\n`);
    }
    return result;
}

async function main(): Promise<number> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, "policy-pack": { type: "boolean", default: false } } });
    const runs = Number(values.runs);
    const policyPack = values["policy-pack"]!;
    let engine: Engine;
    try {
        engine = await resolveEngine({ quiet: true });
    } catch (e) {
        if (e instanceof EngineUnavailable) {
            console.error(`bench/preview.ts NOT RUN.\n${formatEngineUnavailable(e)}`);
            return 1;
        }
        throw e;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-preview-"));
    try {
        console.error(`pulumi preview of dev (${policyPack ? "with the policy pack and policies/config/dev.json" : "without the policy pack"}), ${runs} runs per case after a warm-up; engine ${engine.bin}`);
        const results: CaseResult[] = [];
        for (const count of CASES) results.push(await runCase(engine, dir, count, runs, policyPack));
        const [small, large] = results;
        const ratio = median(large.seconds) / median(small.seconds);
        console.log(`\npulumi preview of dev by tenants in the registry (median of ${runs} runs; load average ${os.loadavg()[0].toFixed(1)}, ${os.cpus().length} CPUs)`);
        console.log(
            table([
                ...results.map((r): [string, string] => [
                    `${r.tenants} tenants (registry ${r.registryKiB.toFixed(0)} KiB)`,
                    `${median(r.seconds).toFixed(2)} s  (runs: ${r.seconds.map((s) => s.toFixed(2)).join(", ")}), ${r.resources} resources, exit ${[...new Set(r.exitCodes)].join("/")}`,
                ]),
                ["ratio 10,000 / 10 tenants", `${ratio.toFixed(2)}×  (target ≤ 1.2×: ${ratio <= 1.2 ? "PASS" : "FAIL"})`],
                ["resource counts equal", small.resources === large.resources ? `yes (${small.resources}): PASS` : `no (${small.resources} vs ${large.resources}): FAIL`],
            ]),
        );
        return 0;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        process.exit(1);
    },
);
