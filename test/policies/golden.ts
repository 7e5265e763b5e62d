// Golden files of the offline check: its text and its JSON for every shipped stack and every replay, exactly as
// `platform check` prints them (paths relative to the project). A change of output is a failing test until the
// golden file is rewritten on purpose: UPDATE_GOLDEN=1 npx jest test/policies/rules test/policies/check.
import * as fs from "node:fs";
import * as path from "node:path";
import { formatCheck, type CheckResult } from "../../cli/commands/check";
import { PROJECT_ROOT } from "../../config/load";

const DIR = path.join(__dirname, "golden");

/** The check's JSON as `check --json` prints it, with absolute paths made project-relative. */
export function checkJson(result: CheckResult): string {
    const { run: _run, ...printed } = result;
    return JSON.stringify(printed, (_k, v) => (typeof v === "string" && v.startsWith(`${PROJECT_ROOT}/`) ? path.relative(PROJECT_ROOT, v) : v), 2);
}

/** Compares the check's text and JSON with the golden files of `name` (or writes them under UPDATE_GOLDEN=1). */
export function expectGolden(name: string, result: CheckResult): void {
    const outputs: [string, string][] = [
        [`${name}.txt`, `${formatCheck(result)}\n`],
        [`${name}.json`, `${checkJson(result)}\n`],
    ];
    for (const [file, text] of outputs) {
        const golden = path.join(DIR, file);
        if (process.env.UPDATE_GOLDEN === "1") {
            fs.mkdirSync(path.dirname(golden), { recursive: true });
            fs.writeFileSync(golden, text);
        }
        expect({ file, text }).toEqual({ file, text: fs.readFileSync(golden, "utf8") });
    }
}
