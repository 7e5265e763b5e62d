// Shard assignment and tenant rendering at scale, on 20,000 generated tenants with realistic
// names and the prod stack's Flux sizing. Prints figures against the targets:
//   from scratch at 26 shards: makespan ≤ 1.05 × lower bound
//   26 → 27 shards through the lock file: moves ≤ 1.1/27 of the tenants, all onto the new shard, ≤ 1.05
//   +500 tenants: no existing tenant moves, ≤ 1.05
//   `tenants render` of all 20,000 (fresh process, 2 CPUs): < 20 s and < 1 GB peak memory
// Run: npx tsx bench/shards.ts
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { formatSeconds, rolloutModelOf } from "../capacity/rollout";
import { loadStackFile, readStackFileConfig, stackFile } from "../config/load";
import { formatLock, readLock } from "../tenants/lock";
import { formatRegistry, generateTenants } from "../tenants/names";
import { planTenants, type TenantShardPlan } from "../tenants/plan";
import { PROD_PLANS } from "../tenants/registries/generate";
import { lockOf } from "../tenants/shards";
import { runScript, table, timed } from "./measure";

const TENANTS = 20_000;
const EXTRA = 500;
const SEED = 26_2024;
const WINDOW = 3600;

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
const ratio = (p: TenantShardPlan) => p.makespanSeconds / p.lowerBoundSeconds;

type Figures = { ms: number; cpuMs: number; peakRssMiB: number; exitCode: number };

/** Runs `tenants render` (then `--check`) of the registry into `<target>/tree` in fresh processes. */
function renderInto(target: string, registryFile: string, lockFile: string): void {
    const config = readStackFileConfig(stackFile("prod"));
    config["media-platform:flux"] = { ...(config["media-platform:flux"] as object), shards: 26 };
    config["media-platform:tenants"] = { ...(config["media-platform:tenants"] as object), registry: registryFile, lock: lockFile, renderDirectory: path.join(target, "tree") };
    const stack = path.join(target, "Pulumi.bench.yaml");
    fs.writeFileSync(stack, YAML.stringify({ config }));
    const child = path.join(__dirname, "shards-render.ts");
    const load = os.loadavg()[0];
    const fresh = runScript<Figures>(child, [stack], "0,1");
    const again = runScript<Figures>(child, [stack, "--check"], "0,1");
    const files = (d: string): number => fs.readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? files(path.join(d, e.name)) : 1), 0);
    const fsType = target.startsWith("/dev/shm") ? "tmpfs" : "the temp folder's disk";
    console.log(`\nRendering all ${TENANTS} tenants into ${path.join(target, "tree")} (${fsType}; tenants render in a fresh process${fresh.pinned ? ", taskset -c 0,1" : ""}; load average ${load.toFixed(1)})`);
    console.log(
        table([
            ["files written", String(files(path.join(target, "tree")))],
            ["render: wall time", `${(fresh.result.ms / 1000).toFixed(2)} s  (target < 20 s: ${verdict(fresh.result.ms < 20_000 && fresh.result.exitCode === 0)})`],
            ["render: CPU time (user + system)", `${(fresh.result.cpuMs / 1000).toFixed(2)} s`],
            ["render: peak RSS of the process", `${fresh.result.peakRssMiB.toFixed(0)} MiB  (target < 1 GB: ${verdict(fresh.result.peakRssMiB < 1024)})`],
            ["--check of the same tree", `${(again.result.ms / 1000).toFixed(2)} s wall, ${(again.result.cpuMs / 1000).toFixed(2)} s CPU, ${again.result.peakRssMiB.toFixed(0)} MiB, exit ${again.result.exitCode} (0: up to date)`],
        ]),
    );
}

function main(): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-shards-"));
    const prod = loadStackFile(stackFile("prod"));
    const model = rolloutModelOf(prod.flux);
    console.log(`bench/shards: ${TENANTS} generated tenants (seed ${SEED}), prod Flux sizing, ${os.cpus().length} CPUs, Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}; work folder ${dir}\n`);

    // The first 20,000 of 20,500 are the same tenants: the extra 500 join later.
    const gen = timed(() => generateTenants({ count: TENANTS + EXTRA, seed: SEED, plans: PROD_PLANS }));
    const all = gen.value;
    const tenants = all.slice(0, TENANTS);
    const starts = (re: RegExp) => tenants.filter((t) => re.test(t.name)).length / TENANTS;
    const apps = tenants.map((t) => t.apps.length);
    console.log("Registry");
    console.log(
        table([
            ["generated in", `${gen.ms.toFixed(0)} ms`],
            ["names starting with s / digit / q,x,y,z", `${pct(starts(/^s/))} / ${pct(starts(/^[0-9]/))} / ${pct(starts(/^[qxyz]/))}`],
            ["apps per tenant: mean / max", `${(apps.reduce((a, b) => a + b, 0) / TENANTS).toFixed(2)} / ${Math.max(...apps)}`],
            ["sample names", tenants.slice(0, 8).map((t) => t.name).join(", ")],
        ]),
    );

    // 1. From scratch at 26 shards.
    const scratch = timed(() => planTenants(tenants, { shards: 26, model, windowSeconds: WINDOW }));
    const p26 = scratch.value;
    console.log("\nFrom scratch, 26 shards");
    console.log(
        table([
            ["planned in", `${scratch.ms.toFixed(0)} ms`],
            ["makespan / lower bound", `${formatSeconds(p26.makespanSeconds)} / ${formatSeconds(p26.lowerBoundSeconds)} = ${ratio(p26).toFixed(4)}  (target ≤ 1.05: ${verdict(ratio(p26) <= 1.05)})`],
            ["A–Z first-letter scheme", `${formatSeconds(p26.firstLetter.makespanSeconds)} (shard "${p26.firstLetter.busiestLetter}"), ${(p26.firstLetter.makespanSeconds / p26.makespanSeconds).toFixed(2)}× the balanced makespan; ${p26.firstLetter.unshardedTenants} tenants get no shard`],
            ["smallest shard count for a 1h window", String(p26.recommendedShards)],
        ]),
    );

    // 2. 26 → 27 through the lock file on disk.
    const lockFile = path.join(dir, "tenants.lock.yaml");
    fs.writeFileSync(lockFile, formatLock(lockOf(p26), "tenants.yaml"));
    const lock26 = readLock(lockFile)!;
    const growth = timed(() => planTenants(tenants, { shards: 27, model, windowSeconds: WINDOW, lock: lock26 }));
    const p27 = growth.value;
    const moved = p27.moves.length / TENANTS;
    const allOntoNew = p27.moves.every((m) => m.to === 26);
    console.log("\n26 → 27 shards through the lock file");
    console.log(
        table([
            ["planned in", `${growth.ms.toFixed(0)} ms`],
            ["tenants moved", `${p27.moves.length} = ${pct(moved)} (1/27 = ${pct(1 / 27)}; target ≤ 1.1/27 = ${pct(1.1 / 27)}: ${verdict(moved <= 1.1 / 27)})`],
            ["all onto the new shard-27", `${allOntoNew ? "yes" : "no"} (${verdict(allOntoNew)})`],
            ["load on shard-27", `${pct(p27.summaries[26].rolloutSeconds / p27.total)} of the total (1/27 = ${pct(1 / 27)})`],
            ["makespan / lower bound", `${formatSeconds(p27.makespanSeconds)} / ${formatSeconds(p27.lowerBoundSeconds)} = ${ratio(p27).toFixed(4)}  (target ≤ 1.05: ${verdict(ratio(p27) <= 1.05)})`],
        ]),
    );

    // 3. +500 tenants on the 27-shard lock.
    fs.writeFileSync(lockFile, formatLock(lockOf(p27), "tenants.yaml"));
    const lock27 = readLock(lockFile)!;
    const join = timed(() => planTenants(all, { shards: 27, model, windowSeconds: WINDOW, lock: lock27 }));
    const pJoin = join.value;
    console.log(`\n+${EXTRA} tenants on 27 shards`);
    console.log(
        table([
            ["planned in", `${join.ms.toFixed(0)} ms`],
            ["new tenants placed / existing moved", `${pJoin.added.length} / ${pJoin.moves.length}  (target 0 moved: ${verdict(pJoin.moves.length === 0)})`],
            ["makespan / lower bound", `${formatSeconds(pJoin.makespanSeconds)} / ${formatSeconds(pJoin.lowerBoundSeconds)} = ${ratio(pJoin).toFixed(4)}  (target ≤ 1.05: ${verdict(ratio(pJoin) <= 1.05)})`],
        ]),
    );

    // 4. Rendering all 20,000 with the real command, in a fresh process on two CPUs: into the temp folder,
    // and (where there is one) into tmpfs, to tell the renderer's own time from the disk's file creation.
    const registryFile = path.join(dir, "tenants.yaml");
    fs.writeFileSync(registryFile, formatRegistry(tenants, [`${TENANTS} generated tenants (bench/shards.ts)`], PROD_PLANS[0][0]));
    fs.writeFileSync(lockFile, formatLock(lockOf(p26), "tenants.yaml"));
    const targets = [dir, ...(fs.existsSync("/dev/shm") ? [fs.mkdtempSync("/dev/shm/bench-shards-")] : [])];
    for (const target of targets) renderInto(target, registryFile, lockFile);
    for (const target of targets.slice(1)) fs.rmSync(target, { recursive: true, force: true });
    console.log(`\nload average (1 min) at the end: ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs`);
    fs.rmSync(dir, { recursive: true, force: true });
}

main();
