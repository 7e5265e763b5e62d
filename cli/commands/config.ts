// `config validate`: check a stack's config without running anything.
import { loadStackFile, PROJECT_ROOT, stackFile } from "../../config/load";
import { loadStackTenants } from "../../tenants/plan";
import { EXIT, parse, UsageError, type Command } from "../command";

export const configValidate: Command = {
    words: ["config", "validate"],
    summary: "validate a stack's config and list every problem",
    help: `Usage: platform config validate (--stack <name> | --stack-file <path>) [--json]

Checks the stack's config against the platform schema (config/*.ts), then its tenant registry and shard lock,
and prints every problem at once as "path: expected …, got …". Exit 0 when valid, 2 when not.

Options:
  --stack <name>        a shipped stack: dev, prod, homelab (stacks/Pulumi.<name>.yaml)
  --stack-file <path>   any stack file (Pulumi.<stack>.yaml names the stack <stack>, another name its stem)
  --json                print the validated config (with defaults filled in) as JSON`,
    async run(argv) {
        const { values } = parse(argv, { stack: { type: "string" }, "stack-file": { type: "string" }, json: { type: "boolean" } });
        const file = stackFileArg(values);
        const cfg = loadStackFile(file);
        // The tenant registry and its lock are config too: the stack reads them before anything is registered.
        loadStackTenants(cfg, PROJECT_ROOT, { refuseLockBeyondShards: values.stack !== undefined ? `--stack ${values.stack}` : `--stack-file ${file}` });
        if (values.json) console.log(JSON.stringify(cfg, null, 2));
        else console.log(`${file}: config is valid (${cfg.environment}, ${cfg.nodePools.length} node pools, ${cfg.storage.nodes.length} storage nodes, ${cfg.flux.shards} shards)`);
        return EXIT.ok;
    },
};

/** The stack file named by --stack or --stack-file (exactly one). */
export function stackFileArg(values: { stack?: string; "stack-file"?: string }): string {
    if ((values.stack === undefined) === (values["stack-file"] === undefined)) {
        throw new UsageError("give exactly one of --stack <name> or --stack-file <path>");
    }
    return values.stack !== undefined ? stackFile(values.stack) : values["stack-file"]!;
}
