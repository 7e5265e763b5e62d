// The test harness: run any stack config file under Pulumi's mocks and get back what it registered.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { runStackOffline, type RunStackOptions, type StackRun } from "../../stacks/offline";
import { stackFile } from "../../config/load";

export type { RegisteredResource, StackRun } from "../../stacks/offline";

/** Runs a shipped stack (`"dev"`) or a stack file path under mocks. */
export function runStack(stackOrFile: string, opts?: RunStackOptions): Promise<StackRun> {
    return runStackOffline(stackOrFile, opts);
}

/** The `config:` of a shipped stack file as plain data, to derive variants from. */
export function stackConfig(stack: string): Record<string, any> {
    return YAML.parse(fs.readFileSync(stackFile(stack), "utf8")).config;
}

/** Writes a stack file named Pulumi.<stack>.yaml into a fresh temp folder and returns its path. */
export function writeStackFile(stack: string, config: Record<string, unknown>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "media-platform-stack-"));
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, YAML.stringify({ config }));
    return file;
}

export const SHIPPED_STACKS = ["dev", "prod", "homelab"] as const;

/** Runs `platform <argv>` in-process: its exit code, what it printed and what it wrote to stderr. */
export async function platformCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const { main } = await import("../../cli/main");
    let out = "";
    let err = "";
    const log = jest.spyOn(console, "log").mockImplementation((...a) => void (out += `${a.join(" ")}\n`));
    const write = jest.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
    try {
        return { code: await main(argv), out, err };
    } finally {
        log.mockRestore();
        write.mockRestore();
    }
}
