// YAML input as the operator reads it back, one reader for every file (stack files, registries, locks): YAML
// 1.2's core schema, syntax errors in words with their line and column, and a bound on alias expansion (a few
// lines of anchors and aliases can expand to billions of nodes: a "billion laughs").
import * as YAML from "yaml";
import { ConfigError, type ConfigProblem } from "./errors";

/** Alias expansions a file may make: the `yaml` library's own default maxAliasCount. */
export const MAX_YAML_ALIASES = 100;

/** A parsed file: its value, and the syntax tree with the line of every node. */
export interface YamlFile {
    value: unknown;
    doc: YAML.Document;
    lines: YAML.LineCounter;
}

/** The `yaml` library's parse errors as problems: "file:line", "expected valid YAML, got <its words> at line L, column C". */
function yamlSyntaxProblems(errors: readonly YAML.YAMLError[], name: string): ConfigProblem[] {
    return errors.map((e) => {
        const [line, col] = e.linePos ? [e.linePos[0].line, e.linePos[0].col] : [undefined, undefined];
        // Its message is words ("Implicit keys need to be on a single line at line 3, column 6:"), then a code frame.
        const words = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "").replace(/:$/, "");
        const what = words ? words.charAt(0).toLowerCase() + words.slice(1) : "a syntax error";
        return { path: `${name}:${line ?? "?"}`, message: `expected valid YAML, got ${what}${line ? ` at line ${line}, column ${col}` : ""}` };
    });
}

/**
 * Keys given twice in one map, each as a problem at its line. The library's own check compares every key with
 * every other (seconds on a lock of thousands of tenants); this one remembers the keys it has seen.
 */
function duplicateKeys(file: YamlFile, name: string): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const walk = (node: unknown): void => {
        if (YAML.isSeq(node)) for (const item of node.items) walk(item);
        if (!YAML.isMap(node)) return;
        const seen = new Set<unknown>();
        for (const { key, value } of node.items) {
            walk(value);
            if (!YAML.isScalar(key)) continue;
            if (!seen.has(key.value)) seen.add(key.value);
            else {
                const at = key.range ? file.lines.linePos(key.range[0]) : undefined;
                out.push({ path: `${name}:${at?.line ?? "?"}`, message: `expected each key once in a map, got ${JSON.stringify(key.value)} again${at ? ` at line ${at.line}, column ${at.col}` : ""}` });
            }
        }
    };
    walk(file.doc.contents);
    return out;
}

/** An alias whose anchor is not set before it, as a problem at its line. */
function unresolvedAlias(file: YamlFile, name: string): ConfigProblem | undefined {
    let found: ConfigProblem | undefined;
    YAML.visit(file.doc, {
        Alias(_, node) {
            if (node.resolve(file.doc) !== undefined) return undefined;
            const at = node.range ? file.lines.linePos(node.range[0]) : undefined;
            found = {
                path: `${name}:${at?.line ?? "?"}`,
                message: `expected valid YAML, got the alias *${node.source} with no anchor &${node.source} before it${at ? ` at line ${at.line}, column ${at.col}` : ""}`,
            };
            return YAML.visit.BREAK;
        },
    });
    return found;
}

/**
 * Parses one YAML document. Throws a ConfigError (`source` its heading) with every syntax problem, or with the
 * alias problem when aliases expand past MAX_YAML_ALIASES; `name` is how each problem names the file.
 */
export function readYaml(text: string, name: string, source = name): YamlFile {
    const lines = new YAML.LineCounter();
    const doc = YAML.parseDocument(text, { schema: "core", lineCounter: lines, uniqueKeys: false });
    if (doc.errors.length > 0) throw new ConfigError(yamlSyntaxProblems(doc.errors, name), source);
    const duplicates = duplicateKeys({ value: undefined, doc, lines }, name);
    if (duplicates.length > 0) throw new ConfigError(duplicates, source);
    try {
        return { value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }), doc, lines };
    } catch (e) {
        if (!(e instanceof ReferenceError) || !/alias/i.test(e.message)) throw e;
        const unresolved = unresolvedAlias({ value: undefined, doc, lines }, name);
        throw new ConfigError(
            [
                unresolved ?? {
                    path: name,
                    message: `expected YAML whose aliases (*name) expand to at most ${MAX_YAML_ALIASES} copies of what they name, got more: write the values out instead of nesting aliases`,
                },
            ],
            source,
        );
    }
}
