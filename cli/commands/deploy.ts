// `up` (the main job) and `preview`: a stack through the real Pulumi engine with the policy pack and the stack's
// policy config, then where its manifests went and its capacity summary.
import * as fs from "node:fs";
import * as path from "node:path";
import { formatSummary } from "../../capacity/summary";
import { loadStackFile, stackNameOf } from "../../config/load";
import { policyConfigFileFor } from "../../policies/policyConfig";
import {
    changeCounts,
    diagnosticsSection,
    EngineUnavailable,
    formatEngineUnavailable,
    LOCAL_DIR,
    localBackend,
    LOCAL_PASSPHRASE,
    policySection,
    PulumiCommandFailed,
    resolveEngine,
    StackWorkspace,
    type PulumiRun,
} from "../engine";
import { EXIT, parse, type Command } from "../command";
import { capacityReport } from "./capacity";
import { stackFileArg } from "./config";

const OPTIONS = {
    stack: { type: "string" },
    "stack-file": { type: "string" },
    "policy-config": { type: "string" },
    backend: { type: "string" },
    "state-dir": { type: "string" },
} as const;

const COMMON_OPTIONS = `Options:
  --stack <name>          a shipped stack: dev, prod, homelab (stacks/Pulumi.<name>.yaml)
  --stack-file <path>     any stack file named Pulumi.<stack>.yaml
  --policy-config <file>  policy config; default policies/config/<stack>.json, else policies/config/<environment>.json
  --backend <url>         Pulumi backend (PULUMI_BACKEND_URL). Default for the dev environment: the local file
                          backend in <state dir>/state; for prod and homelab: the environment's
                          (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN or \`pulumi login\`), with
                          PULUMI_CONFIG_PASSPHRASE when the stack is encrypted with a passphrase. The dev
                          environment always uses the fixed passphrase "${LOCAL_PASSPHRASE}" (it holds no secrets).
  --state-dir <dir>       folder of the local backend and of the stack file working copies; default .pulumi`;

const ENGINE_NOTE = `The engine is the pinned Pulumi CLI (scripts/engine/versions.env): the official CLI when installed, else
scripts/engine's (README, "Running the real engine"). The committed stack file is never handed to pulumi,
which rewrites what it reads: it reads a working copy in <state dir>/config/ (--config-file).`;

interface Prepared {
    stackFile: string;
    stack: string;
    environment: string;
    policyConfig?: string;
    ws: StackWorkspace;
}

type StackValues = { stack?: string; "stack-file"?: string; "policy-config"?: string; backend?: string; "state-dir"?: string };

/** Validates the config (exit 2 before anything runs), resolves the engine and opens the stack. */
async function prepare(values: StackValues): Promise<Prepared | number> {
    const stackFile = path.resolve(stackFileArg(values));
    const config = loadStackFile(stackFile);
    const stack = stackNameOf(stackFile);
    const policyConfig = values["policy-config"] ? path.resolve(values["policy-config"]) : policyConfigFileFor(stack, config.environment);
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
    const ws = await StackWorkspace.open({
        stackFile,
        engine,
        backendUrl: values.backend ?? (dev ? localBackend(stateDir) : undefined),
        passphrase: dev ? LOCAL_PASSPHRASE : undefined,
        workDir: stateDir,
        echo: true,
    });
    return { stackFile, stack, environment: config.environment, policyConfig, ws };
}

/**
 * Opens the stack (see prepare) and runs a command's body on it; a failed pulumi bookkeeping command
 * (stack ls/init/history/output) is exit 1 with its output.
 */
async function onStack(values: StackValues, body: (p: Prepared) => Promise<number>): Promise<number> {
    try {
        const p = await prepare(values);
        return typeof p === "number" ? p : await body(p);
    } catch (e) {
        if (!(e instanceof PulumiCommandFailed)) throw e;
        process.stderr.write(`${e.message}\n`);
        return EXIT.failed;
    }
}

const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r && !r.startsWith("..") ? r : p;
};

/** "85 unchanged" / "3 created, 1 updated, 81 unchanged" from history-style counts. */
export function formatChanges(counts: Record<string, number>, tense: "past" | "future"): string {
    const words: Record<string, [string, string]> = {
        create: ["created", "to create"],
        update: ["updated", "to update"],
        replace: ["replaced", "to replace"],
        delete: ["deleted", "to delete"],
        errored: ["errored", "errored"],
        same: ["unchanged", "unchanged"],
    };
    const parts = Object.keys(words)
        .filter((k) => (counts[k] ?? 0) > 0)
        .map((k) => `${counts[k]} ${words[k][tense === "past" ? 0 : 1]}`);
    return parts.length > 0 ? parts.join(", ") : "no resource counts (pulumi prints none for a failed preview)";
}

async function capacityText(p: Prepared): Promise<string> {
    const report = await capacityReport(p.stackFile, p.policyConfig);
    return formatSummary(report.summary);
}

export const up: Command = {
    words: ["up"],
    summary: "the main job: pulumi up of a stack with the policy pack, then its manifests and capacity summary",
    help: `Usage: platform up (--stack <name> | --stack-file <path>) [--policy-config <file>] [--backend <url>]

Runs \`pulumi up --yes --policy-pack policies --policy-pack-config <policy config>\` on the stack through the
real Pulumi engine, creating the stack in its backend when missing. A mandatory policy violation stops the
update before anything changes. Then prints what changed, where the rendered manifests are (rendering stacks:
dev writes rendered/dev) and the stack's capacity summary. Running it again with nothing changed changes
nothing ("N unchanged").

Exit 0 when the update succeeded, 1 when it failed (policy violation, program or provider error) or the engine
is unavailable, 2 on a config error.

${COMMON_OPTIONS}

${ENGINE_NOTE}

Example:
  npm run --silent platform -- up --stack dev`,
    async run(argv) {
        const { values } = parse(argv, OPTIONS);
        return onStack(values, async (p) => {
            const run = await p.ws.up({ policyConfig: p.policyConfig });
            console.log("");
            if (run.code !== 0) {
                console.log(`pulumi up of ${p.stack} FAILED (exit ${run.code}): the policy violations or errors are listed above.`);
                console.log(`\n${await capacityText(p)}`);
                return EXIT.failed;
            }
            const counts = (await p.ws.lastUpdate())?.resourceChanges ?? changeCounts(run.output);
            console.log(`${p.stack}: ${formatChanges(counts, "past")} (pulumi up, ${run.seconds.toFixed(0)} s, policy config ${p.policyConfig ? rel(p.policyConfig) : "none"})`);
            const outputs = await p.ws.outputs();
            if (typeof outputs.renderDirectory === "string") {
                const dir = outputs.renderDirectory;
                console.log(`Manifests: ${rel(dir)}/ (${countFiles(dir)} files; apply with kubectl apply -R -f ${rel(dir)})`);
            }
            console.log(`\n${await capacityText(p)}`);
            return EXIT.ok;
        });
    },
};

function countFiles(dir: string): number {
    if (!fs.existsSync(dir)) return 0;
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

export const preview: Command = {
    words: ["preview"],
    summary: "pulumi preview of a stack with the policy pack, then its capacity summary (--markdown for a PR comment)",
    help: `Usage: platform preview (--stack <name> | --stack-file <path>) [--policy-config <file>] [--backend <url>] [--markdown <file>]

Runs \`pulumi preview --policy-pack policies --policy-pack-config <policy config>\` on the stack through the
real Pulumi engine (creating the stack in its backend when missing; nothing else is changed), then prints the
stack's capacity summary. With --markdown, also writes the result as a pull-request comment section: the
verdict, the resource changes, every policy violation and the capacity summary.

Exit 0 when the preview passed, 1 when it failed (a mandatory policy violation, a program or provider error)
or the engine is unavailable, 2 on a config error.

${COMMON_OPTIONS}
  --markdown <file>       write the PR comment section to this file

${ENGINE_NOTE}

Example:
  npm run --silent platform -- preview --stack prod --markdown preview-prod.md`,
    async run(argv) {
        const { values } = parse(argv, { ...OPTIONS, markdown: { type: "string" } });
        return onStack(values, async (p) => {
            const run = await p.ws.preview({ policyConfig: p.policyConfig });
            const capacity = await capacityText(p);
            console.log(`\n${p.stack}: preview ${run.code === 0 ? "passed" : "FAILED"} — ${formatChanges(changeCounts(run.output), "future")} (${run.seconds.toFixed(0)} s)`);
            console.log(`\n${capacity}`);
            if (values.markdown) fs.writeFileSync(values.markdown, previewMarkdown(p.stack, p.policyConfig, run, capacity));
            return run.code === 0 ? EXIT.ok : EXIT.failed;
        });
    },
};

/** The PR comment section of one stack's preview. */
export function previewMarkdown(stack: string, policyConfig: string | undefined, run: PulumiRun, capacity: string): string {
    const policies = policySection(run.output);
    const mandatory = (policies.match(/\[mandatory\]/g) ?? []).length;
    const advisory = (policies.match(/\[advisory\]/g) ?? []).length;
    const verdict =
        run.code === 0
            ? `✅ preview passed${advisory > 0 ? ` (${advisory} advisory)` : ""}`
            : mandatory > 0
              ? `❌ preview failed: ${mandatory} mandatory polic${mandatory === 1 ? "y violation" : "y violations"}`
              : "❌ preview failed";
    const fence = (s: string) => `\`\`\`text\n${s.replace(/```/g, "'''")}\n\`\`\``;
    const lines = [
        `### \`${stack}\` — ${verdict}`,
        "",
        `Resources: ${formatChanges(changeCounts(run.output), "future")}. Policy config: \`${policyConfig ? path.relative(process.cwd(), policyConfig) : "none (rule defaults)"}\`.`,
        "",
    ];
    if (policies) lines.push(fence(policies), "");
    const diagnostics = run.code === 0 ? "" : diagnosticsSection(run.output);
    if (diagnostics.split("\n").length > 2) lines.push("<details><summary>Diagnostics</summary>", "", fence(diagnostics), "", "</details>", "");
    lines.push("<details open><summary>Capacity summary</summary>", "", fence(capacity), "", "</details>", "");
    return lines.join("\n");
}
