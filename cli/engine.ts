// Running the real Pulumi CLI: the pinned engine (scripts/engine), a stack's workspace — its backend and a
// working copy of its stack file — and `pulumi preview` / `pulumi up` with the policy pack. The main job
// (`platform up`), `platform preview`, the end-to-end tests and bench/preview.ts all come through here.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { PROJECT_ROOT, readStackFileConfig, stackNameOf } from "../config/load";
import { PROJECT } from "../config/schema";

/** scripts/engine/env.sh: resolves (and if need be builds) the pinned engine and puts it first on PATH. */
export const ENGINE_ENV_SCRIPT = path.join(PROJECT_ROOT, "scripts", "engine", "env.sh");
/** The policy pack folder, as `--policy-pack` takes it. */
export const POLICY_PACK_DIR = path.join(PROJECT_ROOT, "policies");
/** Where the dev stack's local file backend, working copies and scratch files live (gitignored). */
export const LOCAL_DIR = path.join(PROJECT_ROOT, ".pulumi");
/** The local file backend of the embedded default (the dev environment) in a state folder (default .pulumi). */
export function localBackend(stateDir = LOCAL_DIR): string {
    return `file://${path.join(path.resolve(stateDir), "state")}`;
}
/**
 * Passphrase of stacks on the local backend. Fixed and public on purpose: the dev stack holds no secrets
 * (it renders YAML), and a fixed one lets every clone reuse the same state. Never used for prod or homelab.
 */
export const LOCAL_PASSPHRASE = "media-platform-dev";

/** The resolved engine: the environment to run `pulumi` with (engine first on PATH, no plugin downloads). */
export interface Engine {
    bin: string;
    env: NodeJS.ProcessEnv;
}

/** One binary the engine script could not provide, and why (the Go module proxy's answer, say). */
export interface MissingBinary {
    binary: string;
    reason: string;
}

export class EngineUnavailable extends Error {
    constructor(
        readonly missing: MissingBinary[],
        /** The script's own advice ("What to do: …"), when it gave some. */
        readonly advice: string,
        readonly log: string,
    ) {
        super(`the Pulumi engine is unavailable: ${missing.map((m) => `${m.binary} (${m.reason})`).join("; ")}`);
    }
}

/** Reads the engine script's failure: its "[engine] <binary> unavailable: <reason>" lines (last word wins). */
export function parseEngineFailure(log: string): { missing: MissingBinary[]; advice: string } {
    const byBinary = new Map<string, string>();
    for (const m of log.matchAll(/^\[engine\] (\S+) unavailable: (.*)$/gm)) byBinary.set(m[1], m[2].trim());
    const advice = /^\[engine\] What to do: ([\s\S]*?)(?=^\[engine\]|(?![\s\S]))/m.exec(log)?.[1].trim() ?? "";
    let missing = [...byBinary].map(([binary, reason]) => ({ binary, reason }));
    if (missing.length === 0) {
        const lines = log.trim().split("\n").filter((l) => l.trim() !== "");
        const error = lines.filter((l) => l.includes("ERROR")).pop() ?? lines.pop() ?? "scripts/engine/env.sh failed without a message";
        missing = [{ binary: "engine", reason: error.replace(/^\[engine\] (ERROR: )?/, "") }];
    }
    return { missing, advice };
}

/**
 * Resolves the engine through scripts/engine/env.sh — the official CLI when installed, else
 * MEDIA_PLATFORM_ENGINE_BIN, else the version-keyed cache (building what is missing from the Go module
 * proxy). The script's progress is echoed to stderr unless `quiet`. Throws EngineUnavailable.
 */
export async function resolveEngine(opts: { quiet?: boolean } = {}): Promise<Engine> {
    const child = spawn("bash", ["-c", 'source "$1" >&2 && env -0', "resolve-engine", ENGINE_ENV_SCRIPT], {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let log = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => {
        log += d.toString();
        if (!opts.quiet) process.stderr.write(d);
    });
    const code = await new Promise<number>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (c) => resolve(c ?? 1));
    });
    if (code !== 0) {
        const { missing, advice } = parseEngineFailure(log);
        throw new EngineUnavailable(missing, advice, log);
    }
    const env: NodeJS.ProcessEnv = {};
    for (const entry of Buffer.concat(out).toString().split("\0")) {
        const i = entry.indexOf("=");
        if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
    }
    return { bin: env.MEDIA_PLATFORM_ENGINE_BIN ?? "", env };
}

/** What the operator reads when the engine cannot be had. */
export function formatEngineUnavailable(e: EngineUnavailable): string {
    const lines = ["The Pulumi engine is not available on this machine:"];
    for (const m of e.missing) lines.push(`  ${m.binary} unavailable: ${m.reason}`);
    if (e.advice) lines.push("", e.advice);
    return lines.join("\n");
}

/** A `pulumi` command the workspace needs (stack ls/init/history/output) failed; the message carries its output. */
export class PulumiCommandFailed extends Error {}

/** One finished `pulumi` run. */
export interface PulumiRun {
    args: string[];
    code: number;
    /** stdout and stderr, interleaved as they came. */
    output: string;
    stdout: string;
    seconds: number;
}

export interface WorkspaceOptions {
    /** The stack file (Pulumi.<stack>.yaml): a shipped one, a replay, a generated variant. */
    stackFile: string;
    engine: Engine;
    /** Backend URL (PULUMI_BACKEND_URL); unset: the environment's (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN, `pulumi login`). */
    backendUrl?: string;
    /** PULUMI_CONFIG_PASSPHRASE for a passphrase-encrypted stack; unset: the environment's. */
    passphrase?: string;
    /** Folder for the working copy of the stack file. Default .pulumi/ in the project. */
    workDir?: string;
    /** Echo pulumi's output to this process's stdout/stderr as it runs. Default false. */
    echo?: boolean;
}

/** Top-level keys of a stack file that `pulumi stack init` writes (how its secrets are encrypted). */
const SECRETS_KEYS = ["secretsprovider", "encryptedkey", "encryptionsalt"] as const;

/**
 * A stack as the real engine sees it. Pulumi rewrites the stack file it reads (adding `encryptionsalt`,
 * reformatting it and dropping its comments), so the committed file is never handed to it: `pulumi` reads
 * a working copy (`--config-file`) made from the committed file plus the secrets keys Pulumi wrote into
 * the previous copy, and stacks are created from a config-less project folder beside that copy.
 */
export class StackWorkspace {
    readonly stack: string;
    readonly stackFile: string;
    /** The working copy `pulumi` reads (--config-file). */
    readonly configFile: string;
    /** Folder with a config-less Pulumi.yaml of this project: stack init, history and outputs run there. */
    readonly adminDir: string;
    readonly env: NodeJS.ProcessEnv;
    private readonly echo: boolean;

    private constructor(opts: WorkspaceOptions) {
        this.stackFile = path.resolve(opts.stackFile);
        this.stack = stackNameOf(this.stackFile);
        this.adminDir = path.join(path.resolve(opts.workDir ?? LOCAL_DIR), "config");
        this.configFile = path.join(this.adminDir, `Pulumi.${this.stack}.yaml`);
        this.echo = opts.echo ?? false;
        const env: NodeJS.ProcessEnv = { ...opts.engine.env, PULUMI_SKIP_UPDATE_CHECK: "true" };
        if (opts.backendUrl !== undefined) env.PULUMI_BACKEND_URL = opts.backendUrl;
        if (opts.passphrase !== undefined) env.PULUMI_CONFIG_PASSPHRASE = opts.passphrase;
        // The Kubernetes provider records KUBECONFIG in its state: a stack that only renders YAML must not see
        // the operator's, or the next run in another shell shows the provider as changed.
        if (rendersOnly(this.stackFile)) delete env.KUBECONFIG;
        this.env = env;
    }

    /** Opens the stack: creates it in the backend when missing and writes the working copy of its stack file. */
    static async open(opts: WorkspaceOptions): Promise<StackWorkspace> {
        const ws = new StackWorkspace(opts);
        fs.mkdirSync(ws.adminDir, { recursive: true });
        // A file backend's folder must exist before pulumi opens it.
        if (ws.env.PULUMI_BACKEND_URL?.startsWith("file://")) fs.mkdirSync(new URL(ws.env.PULUMI_BACKEND_URL).pathname, { recursive: true });
        const projectFile = path.join(ws.adminDir, "Pulumi.yaml");
        if (!fs.existsSync(projectFile)) {
            fs.writeFileSync(projectFile, `# Written by cli/engine.ts: creates stacks of ${PROJECT} without touching stacks/.\nname: ${PROJECT}\nruntime: nodejs\n`);
        }
        if (!(await ws.exists())) {
            // A copy left from a deleted stack would carry another stack's salt into the new one.
            fs.rmSync(ws.configFile, { force: true });
            // The backend's default secrets provider: the passphrase on a file or bucket backend, the service on Pulumi Cloud.
            const init = await ws.pulumi(["stack", "init", ws.stack], { cwd: ws.adminDir, echo: false });
            if (init.code !== 0) throw new PulumiCommandFailed(`pulumi stack init ${ws.stack} failed:\n${init.output.trimEnd()}`);
        }
        ws.writeConfigCopy();
        return ws;
    }

    /** Whether the stack exists in the backend. */
    async exists(): Promise<boolean> {
        const ls = await this.pulumi(["stack", "ls", "--json"], { cwd: this.adminDir, echo: false });
        if (ls.code !== 0) throw new PulumiCommandFailed(`pulumi stack ls failed (is the backend reachable and logged in?):\n${ls.output.trimEnd()}`);
        const stacks = JSON.parse(ls.stdout) as { name: string }[];
        return stacks.some((s) => s.name === this.stack || s.name.endsWith(`/${this.stack}`));
    }

    /** The committed stack file's text plus the secrets keys Pulumi wrote into the previous working copy. */
    writeConfigCopy(): void {
        const committed = fs.readFileSync(this.stackFile, "utf8");
        const previous = fs.existsSync(this.configFile) ? (YAML.parse(fs.readFileSync(this.configFile, "utf8")) ?? {}) : {};
        const own = YAML.parse(committed) ?? {};
        const carried = SECRETS_KEYS.filter((k) => own[k] === undefined && typeof previous[k] === "string").map((k) => `${k}: ${JSON.stringify(previous[k])}`);
        const header = `# Working copy of ${path.relative(PROJECT_ROOT, this.stackFile) || this.stackFile} for pulumi --config-file (cli/engine.ts); edit that file, not this one.\n`;
        fs.writeFileSync(this.configFile, header + committed + (committed.endsWith("\n") ? "" : "\n") + carried.map((l) => `${l}\n`).join(""));
    }

    /** Arguments selecting the stack, its working copy and (unless `policyConfig` is false) the policy pack with its config. */
    private stackArgs(policyConfig: string | false | undefined): string[] {
        const args = ["--stack", this.stack, "--config-file", this.configFile, "--non-interactive", "--color", "never", "--suppress-progress"];
        if (policyConfig !== false) args.push("--policy-pack", POLICY_PACK_DIR);
        if (policyConfig) args.push("--policy-pack-config", policyConfig);
        return args;
    }

    /** `pulumi preview`; `policyConfig` false runs it without the policy pack. */
    preview(opts: { policyConfig?: string | false; args?: string[] } = {}): Promise<PulumiRun> {
        return this.pulumi(["preview", ...this.stackArgs(opts.policyConfig), ...(opts.args ?? [])]);
    }

    /** `pulumi up --yes`; `policyConfig` false runs it without the policy pack. */
    up(opts: { policyConfig?: string | false; args?: string[] } = {}): Promise<PulumiRun> {
        return this.pulumi(["up", "--yes", ...this.stackArgs(opts.policyConfig), ...(opts.args ?? [])]);
    }

    /** The latest update's record (`pulumi stack history`): result and resourceChanges (same, create, update, …). */
    async lastUpdate(): Promise<{ kind: string; result: string; resourceChanges: Record<string, number> } | undefined> {
        const h = await this.pulumi(["stack", "history", "--stack", this.stack, "--json", "--page-size", "1"], { cwd: this.adminDir, echo: false });
        if (h.code !== 0) throw new PulumiCommandFailed(`pulumi stack history failed:\n${h.output.trimEnd()}`);
        const entries = JSON.parse(h.stdout) as { kind: string; result: string; resourceChanges?: Record<string, number> }[];
        return entries[0] && { ...entries[0], resourceChanges: entries[0].resourceChanges ?? {} };
    }

    /** The stack's outputs after its last update. */
    async outputs(): Promise<Record<string, unknown>> {
        const o = await this.pulumi(["stack", "output", "--stack", this.stack, "--json"], { cwd: this.adminDir, echo: false });
        if (o.code !== 0) throw new PulumiCommandFailed(`pulumi stack output failed:\n${o.output.trimEnd()}`);
        return JSON.parse(o.stdout);
    }

    /** Runs `pulumi <args>` in the project (or `cwd`), with the engine's environment. */
    pulumi(args: string[], opts: { cwd?: string; echo?: boolean } = {}): Promise<PulumiRun> {
        const echo = opts.echo ?? this.echo;
        const started = process.hrtime.bigint();
        return new Promise((resolve, reject) => {
            const child = spawn("pulumi", args, { cwd: opts.cwd ?? PROJECT_ROOT, env: this.env, stdio: ["ignore", "pipe", "pipe"] });
            let output = "";
            let stdout = "";
            child.stdout.on("data", (d: Buffer) => {
                output += d.toString();
                stdout += d.toString();
                if (echo) process.stdout.write(d);
            });
            child.stderr.on("data", (d: Buffer) => {
                output += d.toString();
                if (echo) process.stderr.write(d);
            });
            child.on("error", reject);
            child.on("close", (code) => resolve({ args, code: code ?? 1, output, stdout, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
        });
    }
}

/** True when the stack's Kubernetes provider only renders YAML (render, or existing with renderDirectory). */
export function rendersOnly(stackFile: string): boolean {
    const cluster = readStackFileConfig(stackFile)[`${PROJECT}:cluster`] as { provider?: string; renderDirectory?: string } | undefined;
    return cluster?.provider === "render" || (cluster?.provider === "existing" && cluster.renderDirectory !== undefined);
}

const CHANGE_WORDS: Record<string, string> = {
    "to create": "create", created: "create", "to update": "update", updated: "update", "to delete": "delete", deleted: "delete",
    "to replace": "replace", replaced: "replace", unchanged: "same", errored: "errored",
};

/**
 * The resource counts of a preview or update from pulumi's text output ("+ 85 to create", "85 unchanged"), keyed
 * as `pulumi stack history` keys them: create, update, delete, replace, same (and errored).
 */
export function changeCounts(output: string): Record<string, number> {
    const block = /^Resources:\n((?:[ \t]+.*\n?)+)/m.exec(output)?.[1] ?? "";
    const counts: Record<string, number> = {};
    for (const m of block.matchAll(/^\s+(?:[-+~]+\s*)?(\d+) (to create|created|to update|updated|to delete|deleted|to replace|replaced|unchanged|errored)\b/gm)) {
        counts[CHANGE_WORDS[m[2]]] = Number(m[1]);
    }
    return counts;
}

/**
 * The policy section of pulumi's text output: from "Policies:" to the next unindented heading. Lists each
 * pack (✅/❌) and every violation with its level, rule and resource.
 */
export function policySection(output: string): string {
    return section(output, "Policies:");
}

/** A section of pulumi's text output: its heading line and the indented (or blank) lines after it. */
function section(output: string, heading: string): string {
    const lines = output.split("\n");
    const start = lines.findIndex((l) => l === heading);
    if (start < 0) return "";
    let end = start + 1;
    while (end < lines.length && (lines[end] === "" || /^\s/.test(lines[end]))) end++;
    return lines.slice(start, end).join("\n").trimEnd();
}

/** pulumi's "Diagnostics:" section without the warning every run on an engine from PATH prints. */
export function diagnosticsSection(output: string): string {
    return section(output, "Diagnostics:")
        .split("\n")
        .filter((l) => !/warning: using pulumi-resource-\S+ from \$PATH/.test(l))
        .join("\n");
}
