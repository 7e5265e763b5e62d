// `capacity report`: the capacity summary of a stack — each budget used / limit / % with a bar — computed
// from the resources its program registers under mocks, with the thresholds of its policy config.
import * as path from "node:path";
import { stackBudgets, type Summary } from "../../policies/summary";
import { policyConfigFileFor, readPolicyConfigFile, reconcilePolicyConfig } from "../policyConfig";
import type { PolicyResource } from "../../policies/framework";
import { policyResources } from "../../stacks/resources";
import { rulesAsPolicyInfo } from "../policyConfig";
import { runStackOffline } from "../../stacks/offline";
import { EXIT, parse, type Command } from "../command";
import { writeHtmlReport } from "../report/html";
import { formatCapacity, outputWidth } from "../report/text";
import { colourFor, withPhases } from "../terminal";
import { stackFileArg } from "./config";
import { statusOf } from "../report/budgets";
import { stackNameOf } from "../../config/load";

export interface CapacityReport {
    stack: string;
    stackFile: string;
    policyConfigFile?: string;
    summary: Summary;
}

/** Every budget the capacity rules check, over resources as rules see them, with a policy config's thresholds. */
export function summaryOfResources(resources: PolicyResource[], policyConfigFile?: string): Summary {
    const { config } = reconcilePolicyConfig(rulesAsPolicyInfo(), {}, policyConfigFile ? readPolicyConfigFile(policyConfigFile) : {}, policyConfigFile);
    const properties = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.properties]));
    return stackBudgets(resources, properties);
}

/** Runs the stack under mocks (as a preview) and computes every budget its capacity rules check. */
export async function capacityReport(stackFile: string, policyConfigFile?: string, onPhase: (what: string) => void = () => undefined): Promise<CapacityReport> {
    onPhase("running the stack program under mocks");
    const run = await runStackOffline(stackFile, { preview: true });
    onPhase("computing the capacity budgets");
    const file = policyConfigFile ?? policyConfigFileFor(run.config.environment);
    return { stack: run.stack, stackFile, policyConfigFile: file, summary: summaryOfResources(policyResources(run.resources, true), file) };
}

export const capacityReportCommand: Command = {
    words: ["capacity", "report"],
    summary: "print a stack's capacity summary: each budget used / limit / % and its status (--html for a report)",
    help: `Usage: platform capacity report (--stack <name> | --stack-file <path>) [--policy-config <file>] [--json] [--html <file>]

Runs the stack program under Pulumi's mocks (no credentials) and prints every capacity budget — Ceph
traffic and memory per storage node, database connections, queue threads, the scheduler, nginx clients and
open files, DNS replicas, the busiest Flux shard's rollout — grouped by the rule that checks it, fullest
first: used / limit, %, and a status: ok, near (≥ 90 % of the limit) or OVER. A floor reads as what the
stack needs against what it has. The figures are computed from the registered resources by the same
functions the policy pack's capacity rules check, with the thresholds (headroom, window, …) of the stack's
policy config. Exit 0, or 2 on a config error.

Options:
  --stack <name>          a shipped stack: dev, prod, homelab
  --stack-file <path>     any stack file (Pulumi.<stack>.yaml names the stack <stack>, another name its stem)
  --policy-config <file>  thresholds; default policies/config/<stack>.json, else policies/config/<environment>.json
  --json                  print the budgets as JSON (with utilisation and status)
  --html <file>           also write a self-contained HTML report: every budget as a bar, each storage
                          node's normal and peak traffic with its headroom, and the shard count against
                          the rollout makespan and the controllers' CPU`,
    async run(argv) {
        const { values } = parse(argv, {
            stack: { type: "string" },
            "stack-file": { type: "string" },
            "policy-config": { type: "string" },
            json: { type: "boolean" },
            html: { type: "string" },
        });
        const stackFile = path.resolve(stackFileArg(values));
        const report = await withPhases(`capacity report ${stackNameOf(stackFile)}`, async (phase) => {
            const r = await capacityReport(stackFile, values["policy-config"] ? path.resolve(values["policy-config"]) : undefined, phase);
            if (values.html) {
                phase("writing the HTML report");
                writeHtmlReport(values.html, r);
            }
            return r;
        });
        if (values.json) {
            const budgets = report.summary.budgets.map((b) => ({ ...b, utilisation: b.limit === 0 ? null : b.used / b.limit, status: statusOf(b) }));
            console.log(JSON.stringify({ ...report, summary: { ...report.summary, budgets } }, null, 2));
        } else {
            console.log(`capacity of ${report.stack} (${path.relative(process.cwd(), report.stackFile)})\n`);
            console.log(formatCapacity(report.summary, { width: outputWidth(), colour: colourFor(process.stdout) }));
            if (values.html) console.log(`\nHTML report: ${values.html}`);
        }
        return EXIT.ok;
    },
};
