// `tenants render`: writes the tenant GitOps tree (and the shard lock) from a stack's registry; --check
// only compares, and fails with a summary when the committed tree or lock is stale.
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, loadStackFile } from "../../config/load";
import { formatLock } from "../../tenants/lock";
import { loadStackTenants, shown } from "../../tenants/plan";
import { renderSettings, syncTree, tenantsIn, treeFiles, type TreeDiff } from "../../tenants/render";
import { lockOf } from "../../tenants/shards";
import { EXIT, parse, type Command } from "../command";
import { stackFileArg } from "./config";

function readText(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
    }
}

const list = (names: string[], max = 8) => (names.length <= max ? names.join(", ") : `${names.slice(0, max).join(", ")} and ${names.length - max} more`);

export function diffSummary(diff: TreeDiff): string {
    const parts = [
        diff.missing.length && `${diff.missing.length} missing`,
        diff.changed.length && `${diff.changed.length} changed`,
        diff.extra.length && `${diff.extra.length} no longer produced`,
    ].filter(Boolean);
    const tenants = tenantsIn([...diff.missing, ...diff.changed, ...diff.extra]);
    return `${parts.join(", ")} file(s)${tenants.length ? ` (tenants: ${list(tenants)})` : ""}`;
}

export const tenantsRender: Command = {
    words: ["tenants", "render"],
    summary: "render the tenant GitOps tree and shard lock from the registry",
    help: `Usage: platform tenants render (--stack <name> | --stack-file <path>) [--check] [--out <dir>]

Renders every tenant of the stack's registry (tenants.registry) into the GitOps tree the stack names
(tenants.renderDirectory): per tenant its Namespace, ServiceAccount, RoleBinding, NetworkPolicies,
ResourceQuota and LimitRange by plan, data volume and HelmRelease, and per shard the tenants'
Kustomizations. Shard assignments come from the lock file (tenants.lock, default beside the registry):
new tenants are placed and recorded there; a changed flux.shards reshards through it (see shards plan).
Only files that changed are written; files of removed tenants are deleted from the tree (their cluster
objects are not: see "Prune safety" in the README).

Options:
  --stack <name>        a shipped stack: dev, prod, homelab
  --stack-file <path>   any stack file
  --check               write nothing; exit 1 with a summary when the tree or the lock is stale
  --out <dir>           render to this folder instead of tenants.renderDirectory

Exit codes: 0 rendered (or up to date with --check), 1 stale (--check), 2 bad config or registry.`,
    async run(argv) {
        const { values } = parse(argv, { stack: { type: "string" }, "stack-file": { type: "string" }, check: { type: "boolean" }, out: { type: "string" } });
        const file = stackFileArg(values);
        const config = loadStackFile(file);
        const { paths, registry, plan } = loadStackTenants(config, PROJECT_ROOT);
        const root = values.out !== undefined ? path.resolve(values.out) : paths.renderDirectory;
        const files = treeFiles(registry.tenants, plan.assignment, plan.shards, renderSettings(config));
        const lockText = formatLock(lockOf(plan), path.basename(paths.registry));
        const lockStale = readText(paths.lock) !== lockText;
        const lockChange = `${plan.added.length} added, ${plan.removed.length} removed, ${plan.moves.length} moved`;

        if (values.check) {
            const diff = syncTree(root, files, "check");
            const treeStale = diff.missing.length + diff.changed.length + diff.extra.length > 0;
            if (!treeStale && !lockStale) {
                console.log(`${shown(root)} and ${shown(paths.lock)} are up to date (${registry.tenants.length} tenants, ${plan.shards} shards)`);
                return EXIT.ok;
            }
            const lines = [`The tenant tree is stale for ${shown(registry.file)}:`];
            if (treeStale) lines.push(`  ${shown(root)}: ${diffSummary(diff)}`);
            if (lockStale) lines.push(`  ${shown(paths.lock)}: out of date (${lockChange})`);
            lines.push(`Run: npm run --silent platform -- tenants render ${values.stack !== undefined ? `--stack ${values.stack}` : `--stack-file ${file}`}`);
            process.stderr.write(lines.join("\n") + "\n");
            return EXIT.failed;
        }

        const diff = syncTree(root, files, "write");
        if (lockStale) fs.writeFileSync(paths.lock, lockText);
        console.log(
            `Rendered ${registry.tenants.length} tenants on ${plan.shards} shards to ${shown(root)}: ` +
                `${diff.missing.length} files added, ${diff.changed.length} changed, ${diff.extra.length} removed, ${diff.unchanged} unchanged; ` +
                `lock ${shown(paths.lock)} ${lockStale ? `updated (${lockChange})` : "unchanged"}`,
        );
        return EXIT.ok;
    },
};
