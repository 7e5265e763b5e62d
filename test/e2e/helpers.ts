// Helpers of the end-to-end tests: the operator command as a process, and scratch stacks whose state lives in a
// temp folder and whose rendered manifests go to a project-relative scratch folder (render folders must be
// inside the project) under the gitignored .pulumi/tmp.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { EventLog, type EngineRun } from "../../cli/engine";
import { PROJECT_ROOT } from "../../config/load";

export interface CliRun {
    code: number;
    /** stdout and stderr together, as they came. */
    out: string;
    stdout: string;
}

/** Runs the operator command as `npx platform <argv>` and `npm run platform` do (node bin/platform.js), in the project. */
export function platform(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "platform.js"), ...argv], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            stdout += d.toString();
        });
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, out, stdout }));
    });
}

/** The engine's events a `--json` run printed, one JSON object per line of stdout. */
export function eventsOf(run: CliRun): EngineEvent[] {
    return run.stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as EngineEvent);
}

/** The steps of a `--json` run, folded as the CLI folds them. */
export function stepsOf(run: CliRun): EngineRun {
    const log = new EventLog();
    for (const e of eventsOf(run)) log.onEvent(e);
    return log.result("preview", "", run.code === 0, 0);
}

/** The README's apply of a rendered folder. */
export const APPLY_SCRIPT = path.join(PROJECT_ROOT, "scripts", "cluster", "apply-rendered.sh");

/** The kubectl arguments the README's apply uses, for one-off applies in the tests. */
export const SSA = ["apply", "--server-side", "--validate=strict"];

/** Fails with the run's last lines when it did not exit with `code`. */
export function expectExit(run: CliRun, code: number): void {
    if (run.code !== code) throw new Error(`expected exit ${code}, got ${run.code}; output ends:\n${run.out.split("\n").slice(-60).join("\n")}`);
}

/** A scratch area: a temp folder (state, stack files) and a render folder relative to the project. */
export interface Scratch {
    dir: string;
    /** Project-relative folder for rendered manifests. */
    renderRoot: string;
    /** Writes Pulumi.<stack>.yaml with this config into the temp folder (or a folder of it); returns its path. */
    stackFile(stack: string, config: Record<string, unknown>, folder?: string): string;
    remove(): void;
}

export function scratch(): Scratch {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "media-platform-e2e-"));
    const renderRoot = path.join(".pulumi", "tmp", path.basename(dir));
    return {
        dir,
        renderRoot,
        stackFile(stack, config, folder = "stacks") {
            const file = path.join(dir, folder, `Pulumi.${stack}.yaml`);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, YAML.stringify({ config }));
            return file;
        },
        remove() {
            fs.rmSync(dir, { recursive: true, force: true });
            fs.rmSync(path.join(PROJECT_ROOT, renderRoot), { recursive: true, force: true });
        },
    };
}

/** The `config:` of any stack file. */
export function configOf(file: string): Record<string, any> {
    return YAML.parse(fs.readFileSync(file, "utf8")).config;
}

/** Every YAML document of every file under a folder, with the file it came from. */
export function readManifests(dir: string): { file: string; doc: Record<string, any> }[] {
    const out: { file: string; doc: Record<string, any> }[] = [];
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
            if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
            const value = doc.toJS();
            if (value !== null) out.push({ file, doc: value });
        }
    }
    return out;
}
