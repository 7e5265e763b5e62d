// Small helpers for benchmark scripts: wall time of a call, and running a script in a fresh Node process
// (optionally pinned to some CPUs) that reports its own figures as JSON on its last line of output.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

/** Runs fn and returns its value with the wall time in milliseconds. */
export function timed<T>(fn: () => T): { value: T; ms: number } {
    const start = process.hrtime.bigint();
    const value = fn();
    return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** Peak resident memory of this process so far, in MiB. */
export const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

/**
 * Runs a TypeScript file in a new Node process (through tsx), pinned with taskset to `cpus` when taskset
 * exists, and parses the JSON object the script prints last.
 */
export function runScript<T>(file: string, args: string[], cpus?: string): { result: T; pinned: boolean } {
    const node = [process.execPath, "--import", "tsx", file, ...args];
    const pinned = cpus !== undefined && fs.existsSync("/usr/bin/taskset");
    const cmd = pinned ? ["/usr/bin/taskset", "-c", cpus!, ...node] : node;
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`${file} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
    const last = r.stdout.trim().split("\n").pop()!;
    return { result: JSON.parse(last) as T, pinned };
}

/** Figures as aligned "label  value" lines. */
export function table(rows: [string, string][]): string {
    const w = Math.max(...rows.map(([l]) => l.length));
    return rows.map(([l, v]) => `  ${l.padEnd(w)}  ${v}`).join("\n");
}
