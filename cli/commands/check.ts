// `check`: preview a stack offline with the policy pack. The stack program runs under Pulumi's mocks (no
// credentials), then its registered resources go to the real policy pack process over the analyzer protocol,
// as `pulumi preview --policy-pack policies --policy-pack-config policies/config/<stack>.json` would send them.
import * as path from "node:path";
import { readStackFileConfig, stackNameOf } from "../../config/load";
import { PROJECT } from "../../config/schema";
import { runStackOffline, type StackRun } from "../../stacks/offline";
import { stackBudgets, type Summary } from "../../policies/summary";
import { PolicyPackProcess, type Diagnostic, type PackRunner } from "../analyzer";
import { downgradedRules, policyConfigFileFor, readPolicyConfigFile, reconcilePolicyConfig, rulesAsPolicyInfo, type PackConfig } from "../policyConfig";
import { policyResources } from "../../stacks/resources";
import { EXIT, parse, UsageError, type Command } from "../command";
import { formatCapacity, hang, outputWidth } from "../report/text";
import { explain, formatViolations, type ExplainedViolation } from "../report/violations";
import { colourFor, paint, withPhases } from "../terminal";
import { stackFileArg } from "./config";

/** A violation with Pulumi's policy event names (policyName, enforcementLevel, message, resourceUrn). */
export interface Violation extends ExplainedViolation {
    policyPackName: string;
    enforcementLevel: Diagnostic["enforcementLevel"];
    description: string;
    /** What was found (the diagnostic's message without the description line). */
    message: string;
    /** The resource it is about; "" for the stack. */
    resourceUrn: string;
}

export interface CheckResult {
    stack: string;
    stackFile: string;
    environment: string;
    resources: number;
    policyPack: { name: string; version: string };
    /** The policy config file used, if any: --policy-config, else the one of the stack's environment. */
    policyConfigFile?: string;
    /** Policies/properties the config names that the pack does not know (the CLI ignores them). */
    unknownConfig: string[];
    /** Rules the shipped config of the stack's environment makes mandatory that the config used runs lower: "name (level)". */
    downgraded: string[];
    violations: Violation[];
    mandatory: number;
    advisory: number;
    summary: Summary;
    /** The stack run itself (registered resources), when asked for with `keepRun`. */
    run?: StackRun;
}

export interface CheckOptions {
    /** A stack file (Pulumi.<stack>.yaml, or any other name: its stem names the stack). */
    stackFile: string;
    /** Policy config file; default the one of the stack's environment, policies/config/<environment>.json. */
    policyConfigFile?: string;
    /** How to start the pack (default tsx); ignored when `pack` is given. */
    runner?: PackRunner;
    /** An already running pack to reuse (tests start one per file). */
    pack?: PolicyPackProcess;
    /** Change the stack's config before running it (tests). */
    mutate?: (config: Record<string, any>) => void;
    /** Return the stack run with the result (tests look at the registered resources too). */
    keepRun?: boolean;
    /** Told what it is doing, for progress. */
    onPhase?: (what: string) => void;
}

/** Runs the stack under mocks as a preview, then the policy pack over it. Throws ConfigError for bad config. */
export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
    // The policy config is checked first (against the rules the pack is built from), so a bad one fails at once.
    // It is the environment's, whatever the stack file is called (an invalid environment fails with the config).
    const environment = readStackFileConfig(opts.stackFile)[`${PROJECT}:environment`];
    const envConfigFile = typeof environment === "string" && /^[a-z0-9-]+$/.test(environment) ? policyConfigFileFor(environment) : undefined;
    const configFile = opts.policyConfigFile ?? envConfigFile;
    const given: PackConfig = configFile ? readPolicyConfigFile(configFile) : {};
    const source = configFile ? path.relative(process.cwd(), configFile) : undefined;
    const used = reconcilePolicyConfig(rulesAsPolicyInfo(), {}, given, source).config;
    const shipped = envConfigFile ? reconcilePolicyConfig(rulesAsPolicyInfo(), {}, readPolicyConfigFile(envConfigFile)).config : undefined;
    const downgraded = shipped && configFile !== envConfigFile ? downgradedRules(used, shipped) : [];

    // The pack starts while the stack program runs (both load the Pulumi SDK, which takes seconds).
    const starting = opts.pack ? undefined : PolicyPackProcess.start({ runner: opts.runner });
    starting?.catch(() => undefined);
    let pack: PolicyPackProcess | undefined = opts.pack;
    const phase = opts.onPhase ?? (() => undefined);
    try {
        phase("running the stack program under mocks");
        const run: StackRun = await runStackOffline(opts.stackFile, { preview: true, mutate: opts.mutate });
        phase("starting the policy pack");
        pack = pack ?? (await starting!);
        const info = await pack.info();
        // What the pack itself declares is authoritative, as in the engine.
        const { config, unknown } = reconcilePolicyConfig(info.policies, info.initialConfig, given, source);
        await pack.configureStack(run.stack, PROJECT, true);
        await pack.configure(config);
        phase(`the policy pack analysing ${run.resources.length} resources`);
        const diagnostics = await pack.analyzeAll(run.resources);

        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        const found = diagnostics.map((d) => {
            const r = byUrn.get(d.urn);
            const message = d.message.startsWith(`${d.description}\n`) ? d.message.slice(d.description.length + 1) : d.message;
            return {
                policyName: d.policyName,
                policyPackName: d.policyPackName,
                enforcementLevel: d.enforcementLevel,
                severity: d.severity,
                description: d.description,
                message,
                resourceUrn: d.urn,
                resource: r ? { name: r.name, type: r.type } : undefined,
            };
        });
        phase("computing the capacity budgets");
        const properties = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.properties]));
        const summary = stackBudgets(policyResources(run.resources, true), properties);
        const violations: Violation[] = explain(found, { policies: info.policies, summary, config: run.config });
        return {
            stack: run.stack,
            stackFile: opts.stackFile,
            environment: run.config.environment,
            resources: run.resources.length,
            policyPack: { name: info.name, version: info.version },
            policyConfigFile: configFile,
            unknownConfig: unknown,
            downgraded,
            violations,
            mandatory: violations.filter((v) => v.enforcementLevel === "mandatory").length,
            advisory: violations.filter((v) => v.enforcementLevel === "advisory").length,
            summary,
            ...(opts.keepRun ? { run } : {}),
        };
    } finally {
        if (!opts.pack) await (pack ?? (await starting!.catch(() => undefined)))?.close();
    }
}

const rel = (p: string) => path.relative(process.cwd(), p) || p;
const shownPath = (p: string | undefined) => (p ? rel(p) : "the policy config");

/** The check as the operator reads it: violations grouped by rule (mandatory first) with their fixes, then the capacity summary. */
export function formatCheck(r: CheckResult, opts: { width?: number; colour?: boolean } = {}): string {
    const { width = 100, colour = false } = opts;
    const lines = [
        ...hang(
            "",
            `check ${r.stack} (${rel(r.stackFile)}): ${r.resources} resources, policy pack ${r.policyPack.name}@${r.policyPack.version}` +
                `, policy config ${r.policyConfigFile ? rel(r.policyConfigFile) : "(none: rule defaults)"} (environment ${r.environment})`,
            width,
            2,
        ),
        "",
    ];
    if (r.violations.length === 0) lines.push("No policy violations.");
    else lines.push(`Policy violations: ${r.mandatory} mandatory, ${r.advisory} advisory`);
    lines.push(...formatViolations(r.violations, { width, colour }));
    if (r.unknownConfig.length > 0) lines.push("", `warning: the policy config names what the pack does not know (ignored): ${r.unknownConfig.join(", ")}`);
    lines.push("", formatCapacity(r.summary, { width, colour }), "");
    if (r.mandatory > 0) {
        const verdict = hang("FAILED: ", `${r.mandatory} mandatory violation${r.mandatory === 1 ? "" : "s"}; \`pulumi preview --policy-pack policies\` would fail.`, width, 2);
        lines.push(`${paint(colour, "red", "FAILED")}${verdict[0].slice("FAILED".length)}`, ...verdict.slice(1));
    } else lines.push(`${paint(colour, "green", "PASSED")}: no mandatory violations.`);
    return lines.join("\n");
}

export const check: Command = {
    words: ["check"],
    summary: "preview a stack offline under mocks with the policy pack, then print the capacity summary",
    help: `Usage: platform check (--stack <name> | --stack-file <path>) [--policy-config <file>] [--json] [--pack-runner tsx|pulumi]

Runs the stack program under Pulumi's mocks as a preview (no credentials, no cloud, no cluster), starts the
policy pack in policies/ as its own process and sends it every registered resource over Pulumi's analyzer
protocol, as \`pulumi preview --policy-pack policies --policy-pack-config <file>\` does. Prints the violations
grouped by rule with the resources they name, then the capacity summary (each budget: used / limit / %).

The policy config is the one of the stack's environment (policies/config/<environment>.json), whatever the
stack file is called; the header names it. A --policy-config that runs a rule below the level the shipped config
of that environment gives it (advisory or disabled instead of mandatory) is warned about on stderr.

Exit 0 when no mandatory rule is violated, 3 when one is (as \`platform preview\`), 2 on a config error (stack
or policy config), 1 on any other failure.

Options:
  --stack <name>          a shipped stack: dev, prod, homelab (stacks/Pulumi.<name>.yaml)
  --stack-file <path>     any stack file (e.g. an incident replay in test/replays/); Pulumi.<stack>.yaml names the stack <stack>, another name its stem
  --policy-config <file>  policy config; default policies/config/<environment>.json
  --json                  print the result as JSON
  --pack-runner <r>       tsx (default, fast) or pulumi (the CLI's own run-policy-pack on the bundle policies/dist/index.js)`,
    async run(argv) {
        const { values } = parse(argv, {
            stack: { type: "string" },
            "stack-file": { type: "string" },
            "policy-config": { type: "string" },
            json: { type: "boolean" },
            "pack-runner": { type: "string" },
        });
        const runner = values["pack-runner"] ?? "tsx";
        if (runner !== "tsx" && runner !== "pulumi") throw new UsageError(`--pack-runner: expected tsx or pulumi, got "${runner}"`);
        const stackFile = path.resolve(stackFileArg(values));
        const result = await withPhases(`check ${stackNameOf(stackFile)}`, (onPhase) =>
            runCheck({ stackFile, policyConfigFile: values["policy-config"] ? path.resolve(values["policy-config"]) : undefined, runner, onPhase }),
        );
        for (const d of result.downgraded) process.stderr.write(`warning: ${shownPath(result.policyConfigFile)} runs ${d}, which the shipped config of environment ${result.environment} makes mandatory\n`);
        if (values.json) console.log(JSON.stringify(result, null, 2));
        else console.log(formatCheck(result, { width: outputWidth(), colour: colourFor(process.stdout) }));
        return result.mandatory > 0 ? EXIT.policy : EXIT.ok;
    },
};
