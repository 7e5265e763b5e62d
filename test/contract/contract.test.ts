// The contract between the program and the pack: every key has a writer and a reader, every fact codec reads back
// what it writes, and what the shipped stacks write decodes without a problem.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import * as labels from "../../contract/labels";
import { FACT_CODECS, type FactCodec } from "../../contract/facts";
import { runStack, SHIPPED_STACKS } from "../harness";

const ROOT = path.resolve(__dirname, "../..");
const WRITERS = ["components", "stacks", "tenants"];
const READERS = ["policies", "cli"];

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "dist" ? [] : sources(p);
        return e.name.endsWith(".ts") ? [p] : [];
    });
}
const texts = (dirs: string[]) => dirs.flatMap((d) => sources(path.join(ROOT, d))).map((f) => ({ file: path.relative(ROOT, f), text: fs.readFileSync(f, "utf8") }));
const writerFiles = texts(WRITERS);
const readerFiles = texts(READERS);
const uses = (files: { file: string; text: string }[], pattern: RegExp) => files.filter((f) => pattern.test(f.text)).map((f) => f.file);

/** Key constants of the contract (labels, annotations, taint keys) and their values. */
const KEYS = Object.entries(labels).filter(([name, v]) => typeof v === "string" && /_(LABEL|ANNOTATION|KEY)$/.test(name)) as [string, string][];
const codecs = Object.entries(FACT_CODECS) as [string, FactCodec<any>][];
const codecOf = (key: string) => codecs.find(([, c]) => Object.values(c.keys).includes(key))?.[0];

describe("the contract's keys", () => {
    it.each(KEYS)("%s has a writer in the program and a reader in the pack or the CLI (or one outside, named)", (name, key) => {
        const codec = codecOf(key);
        const writers = [...uses(writerFiles, new RegExp(`\\b${name}\\b`)), ...(codec ? uses(writerFiles, new RegExp(`\\b${codec}\\.encode\\(`)) : [])];
        const readers = [...uses(readerFiles, new RegExp(`\\b${name}\\b`)), ...(codec ? uses(readerFiles, new RegExp(`\\b${codec}\\b`)) : [])];
        const outside = labels.READ_OUTSIDE_THE_PACK[key];
        expect({ name, writes: writers.length > 0, read: readers.length > 0 || outside !== undefined }).toEqual({ name, writes: true, read: true });
        // A key the pack reads is not also claimed by a reader outside it.
        if (outside !== undefined) expect({ name, readers }).toEqual({ name, readers: [] });
    });

    it("writes capacity facts only through a codec", () => {
        const direct = codecs.flatMap(([codec, c]) =>
            Object.values(c.keys).flatMap((key) => {
                const name = KEYS.find(([, v]) => v === key)![0];
                return [...uses(writerFiles, new RegExp(`\\[${name}\\]`)), ...uses(readerFiles, new RegExp(`\\b${name}\\b`))].map((f) => `${f} uses ${name} outside ${codec}`);
            }),
        );
        expect(direct).toEqual([]);
    });
});

describe("the fact codecs", () => {
    const num = fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true });
    it("read back numbers, flags and JSON as written", () => {
        fc.assert(
            fc.property(num, num, num, fc.boolean(), fc.array(fc.record({ name: fc.string(), jobsPerSecond: num, meanJobSeconds: num }), { maxLength: 4 }), (a, b, c, single, queues) => {
                const storage = {
                    nodes: [{ name: "n", arch: "arm64" as const, cpu: a, memoryGiB: b, baselineGbps: c, osds: 2, rawGiB: 100 }],
                    normalClientMBps: a,
                    peakClientMBps: b,
                    writeFraction: c,
                    mdsMBpsPerActive: a,
                    recoveryMBpsPerOsd: b,
                    singleNode: single,
                };
                expect(FACT_CODECS.STORAGE_FACTS.decode(FACT_CODECS.STORAGE_FACTS.encode(storage))).toEqual({ facts: storage });
                const q = { queues, utilisationCeiling: c };
                expect(FACT_CODECS.QUEUE_FACTS.decode(FACT_CODECS.QUEUE_FACTS.encode(q))).toEqual({ facts: q });
            }),
        );
    });

    it("names each missing or unreadable key", () => {
        const keys = FACT_CODECS.SHARD_FACTS.keys;
        expect(FACT_CODECS.SHARD_FACTS.decode({ [keys.tenants]: "12", [keys.helmReleases]: "many" })).toEqual({ problems: [`${keys.helmReleases} "many": expected a number`] });
        expect(FACT_CODECS.POOLER_FACTS.decode(undefined)).toEqual({ problems: [`no ${FACT_CODECS.POOLER_FACTS.keys.userDatabasePairs} annotation`] });
        expect(FACT_CODECS.IMAGE_FACTS.decode({ [FACT_CODECS.IMAGE_FACTS.keys.multiArch]: "yes" })).toEqual({
            problems: [`${FACT_CODECS.IMAGE_FACTS.keys.multiArch} "yes": expected true or false`],
        });
    });

    it.each(SHIPPED_STACKS)("%s: every annotation a codec owns decodes from what the program wrote", async (stack) => {
        const run = await runStack(stack);
        const problems: string[] = [];
        let carriers = 0;
        for (const r of run.resources) {
            const props = r.inputs as Record<string, any>;
            for (const annotations of [props?.metadata?.annotations, props?.spec?.template?.metadata?.annotations]) {
                if (!annotations) continue;
                for (const [codec, c] of codecs) {
                    if (!Object.values(c.keys).some((k) => k in annotations)) continue;
                    carriers++;
                    const decoded = c.decode(annotations);
                    if ("problems" in decoded) problems.push(`${r.name} (${codec}): ${decoded.problems.join("; ")}`);
                }
            }
        }
        expect(problems).toEqual([]);
        expect(carriers).toBeGreaterThan(5);
    });
});
