// The GitHub workflows (actionlint checks their syntax and scripts; scripts/ci/actionlint.sh): actions from other
// repositories pinned by commit with their release beside it, and the drift check reading the exit codes the
// operator command gives.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { EXIT } from "../../cli/command";
import { PROJECT_ROOT } from "../../config/load";

const files = [
    ...fs.readdirSync(path.join(PROJECT_ROOT, ".github/workflows")).map((f) => `.github/workflows/${f}`),
    ...fs.readdirSync(path.join(PROJECT_ROOT, ".github/actions")).map((d) => `.github/actions/${d}/action.yml`),
];
const text = (f: string) => fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8");

describe("the workflows", () => {
    it.each(files)("%s pins every action of another repository by commit, naming its release", (f) => {
        const uses = text(f)
            .split("\n")
            .filter((l) => /^\s*(-\s+)?uses:/.test(l) && !/uses:\s*\.\//.test(l));
        for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    });

    it("check drift on every stack with a shared backend, reporting the policy and changes exit codes", () => {
        const drift = YAML.parse(text(".github/workflows/drift.yml"));
        expect(Object.keys(drift.on)).toEqual(["schedule", "workflow_dispatch"]);
        const job = drift.jobs.drift;
        expect(job.strategy.matrix.stack).toEqual(["homelab", "prod"]);
        expect(job.permissions).toMatchObject({ issues: "write", "id-token": "write" });
        const preview = job.steps.find((s: { id?: string }) => s.id === "preview").run as string;
        expect(preview).toContain("preview --stack \"$STACK\" --refresh --expect-no-changes --markdown");
        expect(preview).toContain(`case "$code" in ${EXIT.ok}|${EXIT.policy}|${EXIT.changes})`);
    });
});
