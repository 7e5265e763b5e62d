// The real `pulumi preview` through the project's engine path (Automation API, program inline, policy pack as an
// analyzer plugin), as two ratios measured in the same run:
//   1. dev's preview with the policy pack and policies/config/dev.json against the preview of an empty inline
//      program on the same engine, each a whole process as an operator waits for it (Node, the SDK, the engine
//      script, the workspace, the preview): what the platform and its pack add. Target ≤ 1.5×. The engine's own
//      time of each preview (in one warm process) is printed beside it.
//   2. dev's preview (with the pack) with 10,000 tenants in its registry against 10. Tenants are not Pulumi
//      resources — the stack reads the registry and its lock only to size the Flux shards — so both register the
//      same resources. Target ≤ 1.05×.
// Each tenant case is dev's own stack file with only tenants.registry changed to a generated registry (seeded;
// dev's plans) and its shard lock written beside it, as `shards plan --write` would. Every preview runs on a
// temp file backend; one unmeasured warm-up per case, then the median of --runs.
// The tenant ratio is timed in one process (the engine's preview of each, the program included).
// Run: npx tsx bench/preview.ts [--runs 5]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as YAML from "yaml";
import { rolloutModelOf } from "../capacity/rollout";
import { durationSeconds } from "../config/fields";
import { loadStackFile, readStackFileConfig, stackFile } from "../config/load";
import { EngineUnavailable, formatEngineUnavailable, LOCAL_PASSPHRASE, PlatformStack, resolveEngine, type Engine, type RunOptions } from "../cli/engine";
import { ensurePolicyPackBuilt } from "../cli/packBuild";
import { policyConfigFileFor } from "../cli/policyConfig";
import { formatLock } from "../tenants/lock";
import { formatRegistry, generateTenants } from "../tenants/names";
import { planTenants } from "../tenants/plan";
import { lockOf } from "../tenants/shards";
import { table } from "./measure";

const SEED = 6_2026;
/** dev's plans with the share of tenants on each. */
const DEV_PLANS = [
    ["basic", 70],
    ["plus", 30],
] as const;

interface Case {
    label: string;
    resources: number;
    seconds: number[];
    ok: boolean[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** dev's stack file with a generated registry of `count` tenants and its lock; returns the stack file. */
function tenantCase(dir: string, count: number): string {
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
    return file;
}

async function measure(label: string, stack: PlatformStack, opts: RunOptions, runs: number): Promise<Case> {
    const c: Case = { label, resources: 0, seconds: [], ok: [] };
    for (let i = 0; i <= runs; i++) {
        const run = await stack.preview(opts);
        const resources = run.steps.length;
        if (run.steps.length === 0) throw new Error(`${label}: the preview reported no steps: ${run.failure ?? run.errors.join("\n")}`);
        if (i === 0) c.resources = resources;
        else {
            if (resources !== c.resources) throw new Error(`${label}: resource count changed between runs: ${c.resources} → ${resources}`);
            c.seconds.push(run.seconds);
            c.ok.push(run.ok);
        }
        process.stderr.write(`  ${label}, ${i === 0 ? "warm-up" : `run ${i}/${runs}`}: ${run.seconds.toFixed(2)} s, ${resources} resources${run.ok ? "" : ", preview failed"}\n`);
    }
    return c;
}

/** One preview in this process, for the parent to time as a whole process: `--once <stack file|empty> <dir>`. */
async function once(target: string, dir: string): Promise<number> {
    const engine = await resolveEngine({ quiet: true });
    const empty = target === "empty";
    const file = empty ? path.join(dir, "stacks", "Pulumi.bench-empty.yaml") : target;
    if (empty) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, "config: {}\n");
    }
    const stack = await PlatformStack.open({
        stackFile: file,
        engine,
        backendUrl: `file://${path.join(dir, "state")}`,
        passphrase: LOCAL_PASSPHRASE,
        workDir: path.join(dir, "work"),
        program: empty ? async () => ({}) : undefined,
    });
    const run = await stack.preview({ policyConfig: empty ? false : policyConfigFileFor("dev") });
    console.log(JSON.stringify({ steps: run.steps.length, ok: run.ok, engineSeconds: run.seconds }));
    return 0;
}

/** Wall time of whole `--once` processes: a warm-up, then `runs`. */
function processCase(label: string, target: string, dir: string, runs: number): Case & { engine: number[] } {
    const c: Case & { engine: number[] } = { label, resources: 0, seconds: [], ok: [], engine: [] };
    for (let i = 0; i <= runs; i++) {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(process.execPath, ["--import", "tsx", __filename, "--once", target, dir], { encoding: "utf8" });
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (r.status !== 0) throw new Error(`${label}: ${r.stderr}`);
        const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { steps: number; ok: boolean; engineSeconds: number };
        if (i > 0) {
            c.seconds.push(seconds);
            c.ok.push(out.ok);
            c.engine.push(out.engineSeconds);
        }
        c.resources = out.steps;
        process.stderr.write(`  ${label}, ${i === 0 ? "warm-up" : `run ${i}/${runs}`}: ${seconds.toFixed(2)} s (engine ${out.engineSeconds.toFixed(2)} s), ${out.steps} resources\n`);
    }
    return c;
}

async function main(): Promise<number> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, once: { type: "string" } }, allowPositionals: true });
    if (values.once) return once(values.once, process.argv[process.argv.length - 1]);
    const runs = Number(values.runs);
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
    ensurePolicyPackBuilt();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-preview-"));
    try {
        console.error(`pulumi preview through the Automation API (program inline), ${runs} runs per case after a warm-up; engine ${engine.bin}`);
        const empty = processCase("empty inline program (process)", "empty", dir, runs);
        const dev = processCase("dev with the policy pack (process)", stackFile("dev"), dir, runs);

        const open = (file: string) => PlatformStack.open({ stackFile: file, engine, backendUrl: `file://${path.join(dir, "state")}`, passphrase: LOCAL_PASSPHRASE, workDir: path.join(dir, "work") });
        const withPack: RunOptions = { policyConfig: policyConfigFileFor("dev") };
        const small = await measure("dev, 10 tenants, with the pack", await open(tenantCase(dir, 10)), withPack, runs);
        const large = await measure("dev, 10,000 tenants, with the pack", await open(tenantCase(dir, 10_000)), withPack, runs);

        const overhead = median(dev.seconds) / median(empty.seconds);
        const tenants = median(large.seconds) / median(small.seconds);
        const row = (c: Case & { engine?: number[] }): [string, string] => [
            c.label,
            `${median(c.seconds).toFixed(2)} s  (runs: ${c.seconds.map((s) => s.toFixed(2)).join(", ")}${c.engine ? `; engine's own: median ${median(c.engine).toFixed(2)} s` : ""}), ${c.resources} resources${c.ok.every(Boolean) ? "" : ", preview failed (timed all the same)"}`,
        ];
        console.log(`\npulumi preview, median of ${runs} runs (load average ${os.loadavg()[0].toFixed(1)}, ${os.cpus().length} CPUs)`);
        console.log(
            table([
                row(empty),
                row(dev),
                row(small),
                row(large),
                ["dev with the pack / empty program", `${overhead.toFixed(2)}×  (target ≤ 1.5×: ${overhead <= 1.5 ? "PASS" : "FAIL"})`],
                ["10,000 / 10 tenants", `${tenants.toFixed(3)}×  (target ≤ 1.05×: ${tenants <= 1.05 ? "PASS" : "FAIL"})`],
                ["resource counts equal (10 vs 10,000)", small.resources === large.resources ? `yes (${small.resources}): PASS` : `no (${small.resources} vs ${large.resources}): FAIL`],
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
