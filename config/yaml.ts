// YAML input as the operator reads it back: syntax errors in words with their line and column, and a bound on
// alias expansion (a few lines of anchors and aliases can expand to billions of nodes: a "billion laughs").
import * as path from "node:path";
import type * as jsyaml from "js-yaml";
import * as YAML from "yaml";
import type { ConfigProblem } from "./errors";

/** Alias expansions a file may make: the `yaml` library's own default maxAliasCount. */
export const MAX_YAML_ALIASES = 100;

const aliasProblem = (file: string): ConfigProblem => ({
    path: path.basename(file),
    message: `expected YAML whose aliases (*name) expand to at most ${MAX_YAML_ALIASES} copies of what they name, got more: write the values out instead of nesting aliases`,
});

/** The `yaml` library's parse errors as problems: "file:line", "expected valid YAML, got <its words> at line L, column C". */
export function yamlSyntaxProblems(errors: readonly YAML.YAMLError[], file: string): ConfigProblem[] {
    return errors.map((e) => {
        const [line, col] = e.linePos ? [e.linePos[0].line, e.linePos[0].col] : [undefined, undefined];
        // Its message is words ("Implicit keys need to be on a single line at line 3, column 6:"), then a code frame.
        const words = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "").replace(/:$/, "");
        const what = words ? words.charAt(0).toLowerCase() + words.slice(1) : "a syntax error";
        return { path: `${path.basename(file)}:${line ?? "?"}`, message: `expected valid YAML, got ${what}${line ? ` at line ${line}, column ${col}` : ""}` };
    });
}

/** A js-yaml parse error as a problem, in the same form. */
export function jsYamlProblem(e: jsyaml.YAMLException, file: string): ConfigProblem {
    const line = e.mark ? e.mark.line + 1 : undefined;
    const where = e.mark ? ` at line ${line}, column ${e.mark.column + 1}` : "";
    return { path: `${file}:${line ?? "?"}`, message: `expected valid YAML, got ${e.reason}${where}` };
}

/** A parsed document's value, or the alias problem when its aliases expand past the bound. */
export function documentValue(doc: YAML.Document, file: string): { value: unknown } | { problem: ConfigProblem } {
    try {
        return { value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) };
    } catch (e) {
        if (e instanceof ReferenceError && /alias/i.test(e.message)) return { problem: aliasProblem(file) };
        throw e;
    }
}

/**
 * For text a faster reader (js-yaml, which expands aliases without a bound) is about to load: the alias problem
 * when its aliases expand past the bound, else undefined. Text without '*' has no alias and is not parsed twice.
 */
export function aliasBombProblem(text: string, file: string): ConfigProblem | undefined {
    if (!text.includes("*")) return undefined;
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) return undefined; // the reader reports the syntax error itself
    const r = documentValue(doc, file);
    return "problem" in r ? r.problem : undefined;
}
