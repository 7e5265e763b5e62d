// Property: any corruption of a valid stack config gives a config error naming a path —
// never a crash, never a registered resource.
import fc from "fast-check";
import { ConfigError } from "../../config/errors";
import { runStack, SHIPPED_STACKS, stackConfig, writeStackFile, type RegisteredResource } from "../harness";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every location in the media-platform part of a config: [key path, value]. */
function locations(value: Json, at: (string | number)[] = []): [(string | number)[], Json][] {
    const here: [(string | number)[], Json][] = at.length > 0 ? [[at, value]] : [];
    if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => locations(v, [...at, i]))];
    if (value !== null && typeof value === "object") return [...here, ...Object.entries(value).flatMap(([k, v]) => locations(v, [...at, k]))];
    return here;
}

const kindOf = (v: Json) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v);

/** Values of a JSON kind other than the one found: no field of the schema accepts two kinds. */
const otherKind = (v: Json): fc.Arbitrary<Json> =>
    fc
        .oneof(
            fc.string({ maxLength: 12 }).map((s) => `x${s}`),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.boolean(),
            fc.constant(null),
            fc.array(fc.integer(), { maxLength: 3 }),
            fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }).map((k) => `zz${k}`), fc.integer(), { maxKeys: 2 }),
        )
        .filter((c) => kindOf(c) !== kindOf(v) && !(kindOf(v) === "number" && typeof c === "string" && !Number.isNaN(Number(c))));

type Corruption = { describe: string; apply: (c: Record<string, any>) => void };

function corruptions(stack: string): fc.Arbitrary<Corruption> {
    const base = stackConfig(stack);
    const mine = Object.fromEntries(Object.entries(base).filter(([k]) => k.startsWith("media-platform:"))) as Record<string, Json>;
    const all = locations(mine as Json);
    const objects = all.filter(([, v]) => v !== null && typeof v === "object" && !Array.isArray(v));
    // Sets a value at a path; when an earlier corruption already replaced a parent, that one stands.
    const set = (c: Record<string, any>, p: (string | number)[], v: unknown) => {
        let o = c;
        for (const k of p.slice(0, -1)) {
            o = o?.[k];
            if (o === null || typeof o !== "object") return;
        }
        o[p[p.length - 1]] = v;
    };
    const retype = fc
        .constantFrom(...all)
        .chain(([p, v]) => otherKind(v).map((nv) => ({ describe: `${p.join(".")} := ${JSON.stringify(nv)}`, apply: (c: Record<string, any>) => set(c, p, nv) })));
    const unknownKey = fc.constantFrom(...objects).chain(([p]) =>
        fc.string({ minLength: 1, maxLength: 8 }).map((k) => ({
            describe: `${p.join(".")}.typo_${k} := 1`,
            // A record (e.g. tenants.plans) accepts any key, but not a number where a plan belongs.
            apply: (c: Record<string, any>) => set(c, [...p, `typo_${k}`], 1),
        })),
    );
    return fc.oneof(retype, unknownKey);
}

describe.each(SHIPPED_STACKS)("corrupting the %s stack config", (stack) => {
    it("always gives a config error naming a path, and registers nothing", async () => {
        await fc.assert(
            fc.asyncProperty(fc.array(corruptions(stack), { minLength: 1, maxLength: 3 }), async (cs) => {
                const config = stackConfig(stack);
                cs.forEach((c) => c.apply(config));
                const registered: RegisteredResource[] = [];
                let caught: unknown;
                try {
                    await runStack(writeStackFile(stack, config), { registered });
                } catch (e) {
                    caught = e;
                }
                if (!(caught instanceof ConfigError)) throw new Error(`expected a ConfigError after ${cs.map((c) => c.describe).join("; ")}, got ${caught}`);
                expect(caught.problems.length).toBeGreaterThan(0);
                for (const p of caught.problems) expect(p.path).toMatch(/^([A-Za-z_][\w-]*|\[".*"\])(\.[A-Za-z_][\w-]*|\[\d+\]|\[".*"\])*$/);
                expect(registered).toHaveLength(0);
            }),
            { numRuns: 60 },
        );
    });
});
