// Property: the renderer's YAML writer gives back exactly the data it was given, read as YAML 1.2 and as
// YAML 1.1 (what Kubernetes' readers use), for any JSON value, including strings built from the
// characters that make YAML scalars ambiguous.
import fc from "fast-check";
import * as YAML from "yaml";
import { toYaml, toYamlDocuments } from "../../tenants/yaml";

const roundTrips = (value: unknown) => {
    const data = JSON.parse(JSON.stringify(value));
    const text = toYaml(data);
    for (const version of ["1.1", "1.2"] as const) expect(YAML.parse(text, { version })).toEqual(data);
};

// Strings made of the pieces YAML reads specially: booleans, nulls, numbers, indicators, spaces.
const tricky = fc
    .array(fc.constantFrom("y", "n", "yes", "No", "on", "OFF", "true", "null", "~", "0", "1", "e", "E", "x", "o", ".", "-", "+", ":", " ", "#", "'", '"', "\\", "\n", "\t", "[", "{", ",", "&", "*", "!", "|", ">", "%", "@", "`", "a", "Mi", "h", "_", "/", "\u2028", "é"), { maxLength: 8 })
    .map((parts) => parts.join(""));

describe("toYaml", () => {
    it("round-trips any JSON value", () => {
        fc.assert(fc.property(fc.jsonValue(), roundTrips), { numRuns: 600 });
    });

    it("round-trips maps and lists of tricky strings, as keys and as values", () => {
        fc.assert(fc.property(fc.dictionary(tricky, fc.oneof(tricky, fc.array(tricky, { maxLength: 3 }))), roundTrips), { numRuns: 600 });
    });

    it("writes Kubernetes values the way people do: plain where safe, quoted where a reader could retype them", () => {
        expect(toYaml({ interval: "24h", memory: "512Mi", version: "1.0.0", pods: "40", enabled: "on", name: "alice", hex: "0x1f", exp: "1e3" })).toBe(
            ['interval: 24h', 'memory: 512Mi', 'version: "1.0.0"', 'pods: "40"', 'enabled: "on"', "name: alice", 'hex: "0x1f"', 'exp: "1e3"', ""].join("\n"),
        );
    });

    it("writes empty collections inline and separates documents with ---", () => {
        expect(toYamlDocuments([{ a: {}, b: [] }, { c: [{ d: 1, e: [] }] }])).toBe("a: {}\nb: []\n---\nc:\n  - d: 1\n    e: []\n");
    });
});
