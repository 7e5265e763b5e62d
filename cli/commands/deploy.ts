// `up` (the main job) and `preview`: a stack through the real Pulumi engine (Automation API, program inline)
// with the policy pack and the stack's policy config, then what changed, where its manifests went and its
// capacity summary. Behaves like `pulumi up` / `pulumi preview`: the same flags, a question before changing
// anything, progress on stderr, the engine's events as JSON lines with --json.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Summary } from "../../policies/summary";
import { loadStackFile } from "../../config/load";
import type { PlatformConfig } from "../../config/schema";
import { policyConfigFileFor } from "../policyConfig";
import {
    changes,
    EngineUnavailable,
    formatEngineUnavailable,
    LOCAL_DIR,
    localBackend,
    LOCAL_PASSPHRASE,
    PlatformStack,
    resolveEngine,
    StackOpenFailed,
    type EngineRun,
    type RunOptions,
} from "../engine";
import { EXIT, EXIT_CODES_HELP, parse, UsageError, type Command } from "../command";
import { changedResources } from "../report/changes";
import { runMarkdown, type Operation } from "../report/markdown";
import { formatCapacity, outputWidth } from "../report/text";
import { explain, formatViolations, fromEngine, type ExplainedViolation } from "../report/violations";
import { colourFor, confirm, interactive, paint, Progress } from "../terminal";
import { summaryOfResources } from "./capacity";
import { stackFileArg } from "./config";

const OPTIONS = {
    stack: { type: "string" },
    "stack-file": { type: "string" },
    "policy-config": { type: "string" },
    "policy-pack-config": { type: "string" },
    backend: { type: "string" },
    "state-dir": { type: "string" },
    diff: { type: "boolean" },
    refresh: { type: "boolean" },
    target: { type: "string", multiple: true },
    "expect-no-changes": { type: "boolean" },
    message: { type: "string", short: "m" },
    json: { type: "boolean" },
} as const;

const COMMON_OPTIONS = `Options:
  --stack <name>               a shipped stack: dev, prod, homelab (stacks/Pulumi.<name>.yaml)
  --stack-file <path>          any stack file (Pulumi.<stack>.yaml names the stack <stack>, another name its stem)
  --policy-config <file>       policy config (also --policy-pack-config); default policies/config/<stack>.json,
                               else policies/config/<environment>.json
  --diff                       show the engine's rich diff of every change
  --refresh                    refresh the stack's state from the cloud first
  --target <urn>               only these resources (repeatable)
  --expect-no-changes          fail (exit 4) when anything would change
  -m, --message <text>         message recorded with the update
  --json                       the engine's events as JSON lines on stdout (everything else on stderr)
  --backend <url>              Pulumi backend (PULUMI_BACKEND_URL). Default for the dev environment: the local
                               file backend in <state dir>/state; for prod and homelab: the environment's
                               (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN or \`pulumi login\`), with
                               PULUMI_CONFIG_PASSPHRASE when the stack is encrypted with a passphrase. The dev
                               environment always uses the fixed passphrase "${LOCAL_PASSPHRASE}" (it holds no secrets).
  --state-dir <dir>            folder of the local backend and of the stack file working copies; default .pulumi`;

const ENGINE_NOTE = `The engine is the pinned Pulumi CLI and Kubernetes provider (scripts/engine/versions.env): the official CLI
when installed, else built once from the Go module proxy into ~/.cache/media-platform/engine (README, "Running
the real engine"). The program runs inline (Pulumi's Automation API), so no language host is needed. The
committed stack file is never handed to the engine, which rewrites what it reads: it reads a working copy in
<state dir>/config/.`;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K] extends { type: "boolean" } ? boolean : string } & {
    yes?: boolean;
};

interface Prepared {
    stack: PlatformStack;
    config: PlatformConfig;
    environment: string;
    policyConfig?: string;
    json: boolean;
    colour: boolean;
    /** Columns of what the operator reads. */
    width: number;
}

/** Validates the config (exit 2 before anything runs), resolves the engine and opens the stack. */
async function prepare(values: Values): Promise<Prepared | number> {
    const stackFile = path.resolve(stackFileArg(values));
    const config = loadStackFile(stackFile);
    const given = values["policy-config"] ?? values["policy-pack-config"];
    const policyConfig = given ? path.resolve(given) : policyConfigFileFor(config.environment);
    if (policyConfig && !fs.existsSync(policyConfig)) throw new UsageError(`--policy-config: no such file ${policyConfig}`);
    let engine;
    try {
        engine = await resolveEngine();
    } catch (e) {
        if (!(e instanceof EngineUnavailable)) throw e;
        process.stderr.write(`${formatEngineUnavailable(e)}\n`);
        return EXIT.failed;
    }
    const stateDir = path.resolve(values["state-dir"] ?? LOCAL_DIR);
    const dev = config.environment === "dev";
    try {
        const stack = await PlatformStack.open({
            stackFile,
            engine,
            backendUrl: values.backend ?? (dev ? localBackend(stateDir) : undefined),
            passphrase: dev ? LOCAL_PASSPHRASE : undefined,
            workDir: stateDir,
        });
        const out = values.json ? process.stderr : process.stdout;
        return { stack, config, environment: config.environment, policyConfig, json: values.json ?? false, colour: colourFor(out), width: outputWidth(out) };
    } catch (e) {
        if (!(e instanceof StackOpenFailed)) throw e;
        process.stderr.write(`${e.message}\n`);
        return EXIT.failed;
    }
}

/** What the operator reads: on stdout, or on stderr when stdout carries JSON. */
function say(p: Prepared, text: string): void {
    (p.json ? process.stderr : process.stdout).write(`${text}\n`);
}

/** The engine options of one run: its events forwarded as JSON lines under --json, the engine's text with --diff. */
function runOptions(p: Prepared, values: Values): RunOptions {
    return {
        policyConfig: p.policyConfig,
        diff: values.diff,
        refresh: values.refresh,
        target: values.target,
        expectNoChanges: values["expect-no-changes"],
        message: values.message,
        color: colourFor(process.stdout),
        onEvent: p.json ? (e) => process.stdout.write(`${JSON.stringify(e)}\n`) : undefined,
        onOutput: values.diff && !p.json ? (t) => process.stdout.write(t) : undefined,
    };
}

/** Runs one engine operation with progress on stderr (resources done / total, the current step). */
async function withProgress(label: string, total: number | undefined, run: (onEvent: RunOptions["onEvent"]) => Promise<EngineRun>, forward?: RunOptions["onEvent"]): Promise<EngineRun> {
    const seen = new Map<string, boolean>();
    let current: string | undefined;
    const progress = new Progress(label, () => ({ done: [...seen.values()].filter(Boolean).length, total, current }));
    try {
        return await run((e) => {
            const pre = e.resourcePreEvent?.metadata;
            if (pre) {
                seen.set(pre.urn, false);
                current = `${pre.op} ${pre.type} ${pre.urn.slice(pre.urn.lastIndexOf("::") + 2)}`;
            }
            const done = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
            if (done) seen.set(done.urn, true);
            forward?.(e);
        });
    } finally {
        progress.stop();
    }
}

const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r && !r.startsWith("..") ? r : p;
};

const CHANGE_WORDS: Record<string, [string, string]> = {
    create: ["created", "to create"],
    update: ["updated", "to update"],
    replace: ["replaced", "to replace"],
    delete: ["deleted", "to delete"],
    same: ["unchanged", "unchanged"],
};

/** "85 unchanged" / "3 created, 1 updated, 81 unchanged" from the engine's counts. */
export function formatChanges(counts: Record<string, number>, tense: "past" | "future"): string {
    const known = Object.keys(CHANGE_WORDS).filter((k) => (counts[k] ?? 0) > 0).map((k) => `${counts[k]} ${CHANGE_WORDS[k][tense === "past" ? 0 : 1]}`);
    const other = Object.keys(counts)
        .filter((k) => !(k in CHANGE_WORDS) && counts[k] > 0)
        .map((k) => `${counts[k]} ${k}`);
    const parts = [...known, ...other];
    return parts.length > 0 ? parts.join(", ") : "no resources";
}

/** Each changed resource, one line: the operation and the resource; replacing or deleting what holds data first, marked. */
export function formatSteps(run: EngineRun, colour = false): string[] {
    const sign: Record<string, [string, "green" | "yellow" | "red"]> = {
        create: ["+", "green"],
        update: ["~", "yellow"],
        replace: ["+-", "red"],
        "create-replacement": ["++", "red"],
        "delete-replaced": ["--", "red"],
        delete: ["-", "red"],
    };
    return changedResources(run).map(({ step: s, destroysData }) => {
        const [mark, style] = sign[s.op] ?? ["*", "yellow"];
        const data = destroysData ? ` ${paint(colour, "red", paint(colour, "bold", "— holds data: it goes with it"))}` : "";
        return `  ${paint(colour, style, `${mark} ${s.op}`)} ${s.type} ${s.name}${s.diffs.length > 0 && s.op !== "create" ? paint(colour, "dim", ` (${s.diffs.slice(0, 4).join(", ")}${s.diffs.length > 4 ? ", …" : ""})`) : ""}${data}`;
    });
}

/**
 * Every policy violation of a run (by rule, with fixes and remediation steps) and every error, as the engine
 * reported them. `violations`: the run's, explained; default: with the pack's remediation steps only.
 */
export function formatFailure(run: EngineRun, colour = false, opts: { violations?: ExplainedViolation[]; width?: number } = {}): string[] {
    const lines = formatViolations(opts.violations ?? explain(run.violations.map(fromEngine)), { colour, width: opts.width }).slice(1);
    const errors = run.errors.filter((e) => !/^preview failed|^update failed/i.test(e) || run.violations.length === 0);
    if (errors.length > 0 && lines.length > 0) lines.push("");
    for (const e of errors) lines.push(`  ${paint(colour, "red", "error:")} ${e.split("\n").join("\n      ")}`);
    if (lines.length === 0 && run.failure) lines.push(`  ${paint(colour, "red", "error:")} ${run.failure.split("\n").slice(0, 20).join("\n      ")}`);
    return lines;
}

/** The run's violations with remediation steps and, where the capacity can compute them, fixes. */
function explained(p: Prepared, run: EngineRun, capacity: Summary): ExplainedViolation[] {
    return explain(run.violations.map(fromEngine), { summary: capacity, config: p.config });
}

/** Writes the run's Markdown section (PR comment, step summary, drift issue) when asked to. */
function writeMarkdown(file: string | undefined, p: Prepared, run: EngineRun, capacity: Summary, o: { operation?: Operation; expectNoChanges?: boolean } = {}): void {
    if (!file) return;
    fs.writeFileSync(file, runMarkdown(run, { ...o, policyConfig: p.policyConfig, violations: explained(p, run, capacity), capacity }));
}

/** The exit code of a run: a mandatory violation 3, changes under --expect-no-changes 4, another failure 1. */
export function exitCodeOf(run: EngineRun, expectNoChanges = false): number {
    if (run.violations.some((v) => v.enforcementLevel === "mandatory")) return EXIT.policy;
    if (expectNoChanges && run.steps.some(changes)) return EXIT.changes;
    return run.ok ? EXIT.ok : EXIT.failed;
}

/** The capacity summary of what the engine saw (the resources of a preview's steps). */
function capacityOf(run: EngineRun, policyConfig?: string): Summary {
    return summaryOfResources(
        run.steps.filter((s) => s.op !== "delete").flatMap((s) => (s.resource ? [s.resource] : [])),
        policyConfig,
    );
}

export const up: Command = {
    words: ["up"],
    summary: "the main job: pulumi up of a stack with the policy pack, then its manifests and capacity summary",
    help: `Usage: platform up (--stack <name> | --stack-file <path>) [--yes] [options]

Previews the stack with the policy pack and its policy config through the real Pulumi engine (creating the
stack in its backend when missing), shows what would change, asks before changing anything (unless --yes),
then updates it. A mandatory policy violation stops it before anything is written. Then prints what changed,
where the rendered manifests are (rendering stacks: dev writes rendered/dev) and the capacity summary. Run
again with nothing changed, it changes nothing ("N unchanged").

  -y, --yes                    update without asking; required without a terminal
${COMMON_OPTIONS.replace("Options:\n", "")}
  --markdown <file>            write the result as Markdown (the deploy workflow's step summary)

${EXIT_CODES_HELP}

${ENGINE_NOTE}

Example:
  npm run --silent platform -- up --stack dev --yes`,
    async run(argv) {
        const { values } = parse(argv, { ...OPTIONS, yes: { type: "boolean", short: "y" }, markdown: { type: "string" } });
        if (!values.yes && !interactive()) throw new UsageError("--yes must be passed to update a stack without a terminal to confirm on");
        const p = await prepare(values);
        if (typeof p === "number") return p;
        const opts = runOptions(p, values);
        const preview = await withProgress(`preview ${p.stack.stack}`, undefined, (onEvent) => p.stack.preview({ ...opts, onEvent }), opts.onEvent);
        const capacity = capacityOf(preview, p.policyConfig);
        if (!preview.ok || preview.violations.some((v) => v.enforcementLevel === "mandatory")) {
            say(p, `\n${p.stack.stack}: preview ${paint(p.colour, "red", "FAILED")} — nothing was changed.`);
            const changed = formatSteps(preview, p.colour);
            if (changed.length > 0) say(p, changed.join("\n"));
            say(p, formatFailure(preview, p.colour, { violations: explained(p, preview, capacity), width: p.width }).join("\n"));
            say(p, `\n${formatCapacity(capacity, { width: p.width, colour: p.colour })}`);
            writeMarkdown(values.markdown, p, preview, capacity, { operation: "update" });
            return exitCodeOf(preview);
        }
        const changed = formatSteps(preview, p.colour);
        if (values["expect-no-changes"] && changed.length > 0) {
            say(p, `\n${p.stack.stack}: ${changed.length} change${changed.length === 1 ? "" : "s"} found where none were expected:\n${changed.join("\n")}`);
            return EXIT.changes;
        }
        if (changed.length > 0) say(p, `\n${p.stack.stack}: ${formatChanges(preview.changes, "future")}\n${changed.join("\n")}`);
        if (changed.length > 0 && !values.yes) {
            if (!(await confirm(`Update ${p.stack.stack}?`))) {
                say(p, "Update declined: nothing was changed.");
                return EXIT.failed;
            }
        }
        const update = await withProgress(`update ${p.stack.stack}`, preview.steps.length, (onEvent) => p.stack.up({ ...opts, onEvent }), opts.onEvent);
        if (!update.ok) {
            say(p, `\n${p.stack.stack}: update ${paint(p.colour, "red", "FAILED")} after ${update.seconds.toFixed(0)} s (${formatChanges(update.changes, "past")}):`);
            say(p, formatFailure(update, p.colour, { violations: explained(p, update, capacity), width: p.width }).join("\n"));
            writeMarkdown(values.markdown, p, update, capacity);
            return exitCodeOf(update);
        }
        say(p, `\n${p.stack.stack}: ${formatChanges(update.changes, "past")} (pulumi up, ${(preview.seconds + update.seconds).toFixed(0)} s, policy config ${p.policyConfig ? rel(p.policyConfig) : "none"})`);
        const outputs = await p.stack.outputs();
        if (typeof outputs.renderDirectory === "string") {
            const dir = outputs.renderDirectory;
            say(p, `Manifests: ${rel(dir)}/ (${countFiles(dir)} files)`);
        }
        say(p, `\n${formatCapacity(capacity, { width: p.width, colour: p.colour })}`);
        writeMarkdown(values.markdown, p, update, capacity);
        return EXIT.ok;
    },
};

function countFiles(dir: string): number {
    if (!fs.existsSync(dir)) return 0;
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

export const preview: Command = {
    words: ["preview"],
    summary: "pulumi preview of a stack with the policy pack, then its capacity summary (--markdown for a PR comment)",
    help: `Usage: platform preview (--stack <name> | --stack-file <path>) [options] [--markdown <file>]

Previews the stack with the policy pack and its policy config through the real Pulumi engine (creating the
stack in its backend when missing; nothing else is changed), then prints what would change, every policy
violation (with the rule's remediation steps and, where a budget computes it, the smallest config change
that clears it) and the stack's capacity summary. With --markdown, also writes the result as a pull-request
comment section: the verdict; replacements and deletions of what holds data (Ceph, Postgres, the Redis
queue, volumes, buckets) first and in bold, then the other changes collapsed; every violation with its fix
and remediation steps; the capacity as a table. With --refresh --expect-no-changes it is a drift check:
exit 4 when what runs differs from the stack.

${COMMON_OPTIONS.replace("Options:\n", "")}
  --markdown <file>            write the PR comment section to this file

${EXIT_CODES_HELP}

${ENGINE_NOTE}

Example:
  npm run --silent platform -- preview --stack prod --markdown preview-prod.md
  npx platform preview --stack prod --refresh --expect-no-changes`,
    async run(argv) {
        const { values } = parse(argv, { ...OPTIONS, markdown: { type: "string" } });
        const p = await prepare(values);
        if (typeof p === "number") return p;
        const opts = runOptions(p, values);
        const run = await withProgress(`preview ${p.stack.stack}`, undefined, (onEvent) => p.stack.preview({ ...opts, onEvent }), opts.onEvent);
        const code = exitCodeOf(run, values["expect-no-changes"]);
        const capacity = capacityOf(run, p.policyConfig);
        say(p, `\n${p.stack.stack}: preview ${code === EXIT.ok ? paint(p.colour, "green", "passed") : paint(p.colour, "red", "FAILED")} — ${formatChanges(run.changes, "future")} (${run.seconds.toFixed(0)} s)`);
        const changed = formatSteps(run, p.colour);
        if (changed.length > 0) say(p, changed.join("\n"));
        const failure = formatFailure(run, p.colour, { violations: explained(p, run, capacity), width: p.width });
        if (failure.length > 0) say(p, `\n${failure.join("\n")}`);
        say(p, `\n${formatCapacity(capacity, { width: p.width, colour: p.colour })}`);
        writeMarkdown(values.markdown, p, run, capacity, { expectNoChanges: values["expect-no-changes"] });
        return code;
    },
};

export const destroy: Command = {
    words: ["destroy"],
    summary: "pulumi destroy of a stack: deletes what it manages, except what is protected",
    help: `Usage: platform destroy (--stack <name> | --stack-file <path>) [--yes] [--target <urn> [--target-dependents]] [--json] [--backend <url>] [--state-dir <dir>]

Deletes the stack's resources through the real Pulumi engine, asking first (unless --yes; required without a
terminal). Protected resources — the Ceph cluster, pools and filesystem, the database cluster, buckets, volumes,
the namespaces holding them and the operators' CRDs — are refused by the engine, and so is everything that
depends on them: data is never deleted by accident. To delete one on purpose, unprotect it first
(\`pulumi state unprotect <urn>\`).

${EXIT_CODES_HELP}`,
    async run(argv) {
        const { values } = parse(argv, {
            stack: { type: "string" },
            "stack-file": { type: "string" },
            backend: { type: "string" },
            "state-dir": { type: "string" },
            target: { type: "string", multiple: true },
            "target-dependents": { type: "boolean" },
            json: { type: "boolean" },
            yes: { type: "boolean", short: "y" },
        });
        if (!values.yes && !interactive()) throw new UsageError("--yes must be passed to destroy a stack without a terminal to confirm on");
        const p = await prepare(values);
        if (typeof p === "number") return p;
        if (!values.yes && !(await confirm(`Destroy every unprotected resource of ${p.stack.stack}?`))) {
            say(p, "Destroy declined: nothing was changed.");
            return EXIT.failed;
        }
        const forward = p.json ? (e: Parameters<NonNullable<RunOptions["onEvent"]>>[0]) => process.stdout.write(`${JSON.stringify(e)}\n`) : undefined;
        const run = await withProgress(`destroy ${p.stack.stack}`, undefined, (onEvent) => p.stack.destroy({ onEvent, target: values.target, targetDependents: values["target-dependents"] }), forward);
        const deleted = run.steps.filter((s) => s.op === "delete" && s.done).length;
        if (run.ok) {
            say(p, `\n${p.stack.stack}: ${deleted} deleted (${run.seconds.toFixed(0)} s)`);
            return EXIT.ok;
        }
        say(p, `\n${p.stack.stack}: destroy ${paint(p.colour, "red", "stopped")} after ${deleted} deleted:`);
        say(p, formatFailure(run, p.colour).join("\n"));
        return exitCodeOf(run);
    },
};
