// The real Pulumi engine: the pinned CLI and Kubernetes provider (scripts/engine), a stack opened through
// Pulumi's Automation API with the program inline (stacks/program.ts runs in this process, so no language host
// is needed), and preview / up / destroy with the policy pack. What happened is read from the engine's events,
// never from its text: each resource's step, each policy violation, the change summary. The main job
// (`platform up`), `platform preview`, the end-to-end tests and bench/preview.ts all come through here.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack, type EngineEvent, type OpType, type PulumiFn } from "@pulumi/pulumi/automation";
import * as YAML from "yaml";
import { PROJECT_ROOT, readStackFileConfig, stackNameOf } from "../config/load";
import { PROJECT } from "../config/schema";
import type { PolicyResource } from "../policies/framework";
import { runProgram } from "../stacks/program";
import { parseEngineFailure, type MissingBinary } from "./engineScript";
import { ensurePolicyPackBuilt, PACK_DIR } from "./packBuild";

/** scripts/engine/env.sh: resolves (and if need be builds) the pinned engine and puts it first on PATH. */
export const ENGINE_ENV_SCRIPT = path.join(PROJECT_ROOT, "scripts", "engine", "env.sh");
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

/** The resolved engine: the CLI's folder and the environment to run it with (its plugin home, no downloads). */
export interface Engine {
    bin: string;
    env: NodeJS.ProcessEnv;
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

/** Opening the stack failed (backend unreachable or not logged in, a stack of another project, …). */
export class StackOpenFailed extends Error {}

/** One resource's step in a preview or update, from the engine's resource events. */
export interface Step {
    op: OpType;
    urn: string;
    type: string;
    /** Logical name (the URN's last part). */
    name: string;
    /** The resource as registered (its new state; the old one for a delete), for the capacity summary. */
    resource?: PolicyResource;
    /** Whether the step finished (its outputs event came); a preview's steps never do. */
    done: boolean;
    /** Whether the step failed. */
    failed: boolean;
    /** Properties whose change caused an update or replacement, when the engine names them. */
    diffs: string[];
}

/** A policy violation as the engine reports it (Pulumi's policy event names). */
export interface PolicyViolation {
    policyName: string;
    policyPackName: string;
    enforcementLevel: "warning" | "mandatory" | "advisory" | "remediate" | "disabled";
    message: string;
    resourceUrn?: string;
}

/** A finished preview, update or destroy, as the engine's events told it. */
export interface EngineRun {
    kind: "preview" | "update" | "destroy" | "refresh";
    stack: string;
    ok: boolean;
    seconds: number;
    /** Each resource's step, in the order the engine started them (one per URN, the last word wins). */
    steps: Step[];
    /** Resource counts by operation (create, update, replace, delete, same, …) from the engine's summary. */
    changes: Record<string, number>;
    violations: PolicyViolation[];
    /** Error diagnostics, one line each (the engine's own words). */
    errors: string[];
    /** The failure when the engine gave no error diagnostic (the Automation API's error). */
    failure?: string;
}

/** Operations that change nothing. */
const NO_CHANGE: ReadonlySet<OpType> = new Set<OpType>(["same", "read", "refresh", "discard", "discard-replaced", "remove-pending-replace"]);
/** Whether a step changes the stack (create, update, replace, delete, import). */
export const changes = (s: Step) => !NO_CHANGE.has(s.op);

/** Options of a preview or update. */
export interface RunOptions {
    /** Policy config file for the pack; false runs without the pack; undefined runs it on its defaults. */
    policyConfig?: string | false;
    diff?: boolean;
    refresh?: boolean;
    target?: string[];
    expectNoChanges?: boolean;
    message?: string;
    /** Colour in the engine's own text (only shown with `onOutput`). */
    color?: boolean;
    /** Every engine event as it comes (for --json and progress). */
    onEvent?: (event: EngineEvent) => void;
    /** The engine's own text (shown with --diff). */
    onOutput?: (text: string) => void;
}

/** Folds the engine's events into an EngineRun. */
export class EventLog {
    private readonly byUrn = new Map<string, Step>();
    readonly violations: PolicyViolation[] = [];
    readonly errors: string[] = [];
    changes: Record<string, number> = {};
    summarised = false;

    constructor(private readonly forward?: (event: EngineEvent) => void) {}

    readonly onEvent = (e: EngineEvent): void => {
        const pre = e.resourcePreEvent?.metadata;
        if (pre) {
            const state = pre.op === "delete" || pre.op === "delete-replaced" ? pre.old : (pre.new ?? pre.old);
            this.byUrn.set(pre.urn, {
                op: pre.op,
                urn: pre.urn,
                type: pre.type,
                name: pre.urn.slice(pre.urn.lastIndexOf("::") + 2),
                resource: state && policyResourceOf(state),
                done: false,
                failed: false,
                diffs: pre.diffs ?? [],
            });
        }
        const done = e.resOutputsEvent?.metadata;
        if (done) {
            const s = this.byUrn.get(done.urn);
            if (s) s.done = true;
        }
        const failed = e.resOpFailedEvent?.metadata;
        if (failed) {
            const s = this.byUrn.get(failed.urn);
            if (s) s.failed = true;
        }
        const p = e.policyEvent;
        if (p) {
            this.violations.push({
                policyName: p.policyName,
                policyPackName: p.policyPackName,
                enforcementLevel: p.enforcementLevel,
                message: p.message.trim(),
                resourceUrn: p.resourceUrn || undefined,
            });
        }
        const d = e.diagnosticEvent;
        if (d && d.severity === "error" && !d.ephemeral) this.errors.push(d.message.trim());
        const sum = e.summaryEvent;
        if (sum) {
            this.changes = Object.fromEntries(Object.entries(sum.resourceChanges ?? {}).filter(([, n]) => (n ?? 0) > 0)) as Record<string, number>;
            this.summarised = true;
        }
        this.forward?.(e);
    };

    get steps(): Step[] {
        return [...this.byUrn.values()];
    }

    /** Steps by URN so far, for progress. */
    get started(): number {
        return this.byUrn.size;
    }

    get finished(): number {
        let n = 0;
        for (const s of this.byUrn.values()) if (s.done || s.failed) n++;
        return n;
    }

    /** The resource a step is on now: the most recent not yet done. */
    get current(): Step | undefined {
        let last: Step | undefined;
        for (const s of this.byUrn.values()) if (!s.done) last = s;
        return last;
    }

    result(kind: EngineRun["kind"], stack: string, ok: boolean, seconds: number, failure?: string): EngineRun {
        // A preview's summary is missing when it fails: count its steps instead.
        const counts = this.summarised ? this.changes : countSteps(this.steps);
        return { kind, stack, ok, seconds, steps: this.steps, changes: counts, violations: this.violations, errors: this.errors, failure };
    }
}

/** Resource counts by operation from a list of steps. */
export function countSteps(steps: Step[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of steps) out[s.op] = (out[s.op] ?? 0) + 1;
    return out;
}

/** A step's resource state as a rule sees it. */
function policyResourceOf(state: NonNullable<NonNullable<EngineEvent["resourcePreEvent"]>["metadata"]["new"]>): PolicyResource {
    const providerUrn = state.provider ? state.provider.slice(0, state.provider.lastIndexOf("::")) : "";
    return {
        urn: state.urn,
        type: state.type,
        name: state.urn.slice(state.urn.lastIndexOf("::") + 2),
        props: (state.inputs ?? {}) as Record<string, any>,
        protect: state.protect ?? false,
        parent: state.parent || undefined,
        dependencies: [],
        provider: providerUrn ? { urn: providerUrn, type: providerUrn.slice(providerUrn.lastIndexOf("$") + 1).split("::")[0], name: providerUrn.slice(providerUrn.lastIndexOf("::") + 2) } : undefined,
    };
}

export interface StackOptions {
    /** The stack file (Pulumi.<stack>.yaml): a shipped one, a replay, a generated variant. */
    stackFile: string;
    engine: Engine;
    /** Backend URL (PULUMI_BACKEND_URL); unset: the environment's (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN, `pulumi login`). */
    backendUrl?: string;
    /** PULUMI_CONFIG_PASSPHRASE for a passphrase-encrypted stack; unset: the environment's. */
    passphrase?: string;
    /** Folder for the working copy of the stack file. Default .pulumi/ in the project. */
    workDir?: string;
    /** The program to run inline. Default the platform's (stacks/program.ts). */
    program?: PulumiFn;
}

/** Top-level keys of a stack file that `pulumi stack init` writes (how its secrets are encrypted). */
const SECRETS_KEYS = ["secretsprovider", "encryptedkey", "encryptionsalt"] as const;

/**
 * A stack as the real engine sees it. Pulumi rewrites the stack file it reads (adding `encryptionsalt`,
 * reformatting it and dropping its comments), so the committed file is never handed to it: the workspace is
 * a folder beside the state (<work dir>/config) holding a config-less Pulumi.yaml of this project and a working
 * copy of the stack file, made from the committed file plus the secrets keys Pulumi wrote into the previous copy.
 */
export class PlatformStack {
    readonly stack: string;
    readonly stackFile: string;
    /** The working copy the engine reads. */
    readonly configFile: string;
    readonly workspaceDir: string;

    private constructor(
        opts: StackOptions,
        readonly inner: Stack,
    ) {
        this.stackFile = path.resolve(opts.stackFile);
        this.stack = stackNameOf(this.stackFile);
        this.workspaceDir = workspaceDirOf(opts.workDir);
        this.configFile = path.join(this.workspaceDir, `Pulumi.${this.stack}.yaml`);
    }

    /** Opens the stack: creates it in the backend when missing, with the working copy of its stack file. */
    static async open(opts: StackOptions): Promise<PlatformStack> {
        const stackFile = path.resolve(opts.stackFile);
        const stack = stackNameOf(stackFile);
        const workspaceDir = workspaceDirOf(opts.workDir);
        fs.mkdirSync(workspaceDir, { recursive: true });
        const envVars = engineEnv(opts, stackFile);
        // A file backend's folder must exist before the engine opens it.
        if (envVars.PULUMI_BACKEND_URL?.startsWith("file://")) fs.mkdirSync(new URL(envVars.PULUMI_BACKEND_URL).pathname, { recursive: true });
        const configFile = path.join(workspaceDir, `Pulumi.${stack}.yaml`);
        writeConfigCopy(stackFile, configFile);
        try {
            const pulumiCommand = await PulumiCommand.get({ root: path.dirname(opts.engine.bin), skipVersionCheck: false });
            const ws = await LocalWorkspace.create({
                workDir: workspaceDir,
                pulumiCommand,
                envVars,
                program: opts.program ?? runProgram,
                projectSettings: { name: PROJECT, runtime: "nodejs", description: `Working project of ${PROJECT} (cli/engine.ts): stacks are created here, never in stacks/.` },
            });
            const inner = await Stack.createOrSelect(stack, ws);
            return new PlatformStack(opts, inner);
        } catch (e) {
            throw new StackOpenFailed(`opening stack ${stack} failed (is the backend reachable and logged in?):\n${errorText(e)}`);
        }
    }

    preview(opts: RunOptions = {}): Promise<EngineRun> {
        return this.operate("preview", opts, (o) => this.inner.preview(o));
    }

    up(opts: RunOptions = {}): Promise<EngineRun> {
        return this.operate("update", opts, (o) => this.inner.up(o));
    }

    /** Destroys the stack's resources (the engine refuses protected ones). */
    destroy(opts: Pick<RunOptions, "onEvent" | "target"> & { targetDependents?: boolean } = {}): Promise<EngineRun> {
        return this.operate("destroy", { ...opts, policyConfig: false }, (o) =>
            this.inner.destroy({ onEvent: o.onEvent, target: o.target, targetDependents: opts.targetDependents, color: "never" }),
        );
    }

    /** The stack's outputs after its last update. */
    async outputs(): Promise<Record<string, unknown>> {
        return Object.fromEntries(Object.entries(await this.inner.outputs()).map(([k, v]) => [k, v.value]));
    }

    /** The URNs in the stack's state (its last checkpoint). */
    async resourceUrns(): Promise<string[]> {
        const deployment = await this.inner.exportStack();
        return ((deployment.deployment?.resources ?? []) as { urn: string }[]).map((r) => r.urn);
    }

    private async operate(kind: EngineRun["kind"], opts: RunOptions, op: (o: any) => Promise<unknown>): Promise<EngineRun> {
        const log = new EventLog(opts.onEvent);
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        if (opts.policyConfig !== false) ensurePolicyPackBuilt();
        const pack = opts.policyConfig === false ? {} : { policyPacks: [PACK_DIR], policyPackConfigs: opts.policyConfig ? [opts.policyConfig] : undefined };
        try {
            await op({
                ...pack,
                diff: opts.diff,
                refresh: opts.refresh,
                target: opts.target,
                expectNoChanges: opts.expectNoChanges,
                message: opts.message,
                color: opts.color ? "always" : "never",
                onEvent: log.onEvent,
                onOutput: opts.onOutput ?? (() => undefined),
            });
            return log.result(kind, this.stack, true, seconds());
        } catch (e) {
            return log.result(kind, this.stack, false, seconds(), log.errors.length > 0 ? undefined : errorText(e));
        }
    }
}

function workspaceDirOf(workDir?: string): string {
    return path.join(path.resolve(workDir ?? LOCAL_DIR), "config");
}

/** The environment the engine runs with: the resolved engine's, the backend and passphrase, no update checks. */
function engineEnv(opts: StackOptions, stackFile: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.engine.env)) if (v !== undefined) env[k] = v;
    env.PULUMI_SKIP_UPDATE_CHECK = "true";
    env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
    if (opts.backendUrl !== undefined) env.PULUMI_BACKEND_URL = opts.backendUrl;
    if (opts.passphrase !== undefined) env.PULUMI_CONFIG_PASSPHRASE = opts.passphrase;
    // The Kubernetes provider records KUBECONFIG in its state: a stack that only renders YAML must not see the
    // operator's, or the next run in another shell shows the provider as changed. (The CLI inherits this
    // process's environment too.)
    if (rendersOnly(stackFile)) {
        delete env.KUBECONFIG;
        delete process.env.KUBECONFIG;
    }
    return env;
}

/** Writes the working copy: the committed stack file's text plus the secrets keys Pulumi wrote into the previous copy. */
export function writeConfigCopy(stackFile: string, configFile: string): void {
    const committed = fs.readFileSync(stackFile, "utf8");
    const previous = fs.existsSync(configFile) ? (YAML.parse(fs.readFileSync(configFile, "utf8")) ?? {}) : {};
    const own = YAML.parse(committed) ?? {};
    const carried = SECRETS_KEYS.filter((k) => own[k] === undefined && typeof previous[k] === "string").map((k) => `${k}: ${JSON.stringify(previous[k])}`);
    const header = `# Working copy of ${path.relative(PROJECT_ROOT, stackFile) || stackFile} for the engine (cli/engine.ts); edit that file, not this one.\n`;
    fs.writeFileSync(configFile, header + committed + (committed.endsWith("\n") ? "" : "\n") + carried.map((l) => `${l}\n`).join(""));
}

/** True when the stack's Kubernetes provider only renders YAML (render, or existing with renderDirectory). */
export function rendersOnly(stackFile: string): boolean {
    const cluster = readStackFileConfig(stackFile)[`${PROJECT}:cluster`] as { provider?: string; renderDirectory?: string } | undefined;
    return cluster?.provider === "render" || (cluster?.provider === "existing" && cluster.renderDirectory !== undefined);
}

/** The Automation API's error as text (its CommandError carries the CLI's stderr). */
function errorText(e: unknown): string {
    if (e instanceof Error) return e.message;
    return String(e);
}
