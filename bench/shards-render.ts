// Child of bench/shards.ts: runs the real `tenants render` command on a stack file in this fresh process
// and prints {ms, cpuMs, peakRssMiB, exitCode} as JSON on its last line. Usage: shards-render.ts <stack file> [--check]
import { main } from "../cli/main";
import { peakRssMiB } from "./measure";

async function run(): Promise<void> {
    const [stackFile, ...rest] = process.argv.slice(2);
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const exitCode = await main(["tenants", "render", "--stack-file", stackFile, ...rest]);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    console.log(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, peakRssMiB: peakRssMiB(), exitCode }));
}

void run();
