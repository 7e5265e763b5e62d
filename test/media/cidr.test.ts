// CIDR arithmetic the bucket-policy analysis stands on: parsing, containment, splitting.
import fc from "fast-check";
import { contains, formatCidr, parseCidr, size, splitToPrefix, type Cidr } from "../../formats/cidr";
import { CLOUDFLARE_IPV4, CLOUDFLARE_IPV6, CLOUDFLARE_RANGES } from "../../formats/cloudflareRanges";

const cidr = (s: string): Cidr => {
    const c = parseCidr(s);
    if (!c) throw new Error(`bad cidr ${s}`);
    return c;
};

describe("parseCidr", () => {
    it("reads IPv4, IPv6, compressed and embedded-IPv4 forms", () => {
        expect(cidr("104.16.0.0/13")).toEqual({ family: 4, network: 0x68100000n, prefix: 13 });
        expect(cidr("2a06:98c0::/29")).toEqual({ family: 6, network: 0x2a0698c0n << 96n, prefix: 29 });
        expect(cidr("::ffff:192.0.2.1")).toEqual({ family: 6, network: (0xffffn << 32n) | 0xc0000201n, prefix: 128 });
        expect(cidr("::/0")).toEqual({ family: 6, network: 0n, prefix: 0 });
        expect(cidr("1:2:3:4:5:6:7:8/128").network).toBe(0x00010002000300040005000600070008n);
    });

    it("drops host bits, as IAM's IpAddress does", () => {
        expect(formatCidr(cidr("198.41.200.7/17"))).toBe("198.41.128.0/17");
    });

    it.each(["", "1.2.3", "1.2.3.256/8", "1.2.3.4/33", "1::2::3", "2400:cb00::/129", "1.2.3.4/8/1", "12345::/16", "1:2:3:4:5:6:7:8:9", "x/8"])(
        "refuses %j",
        (bad) => expect(parseCidr(bad)).toBeUndefined(),
    );

    it("reads every published Cloudflare range and gives it back as published", () => {
        expect(CLOUDFLARE_IPV4).toHaveLength(15);
        expect(CLOUDFLARE_IPV6).toHaveLength(7);
        for (const r of CLOUDFLARE_RANGES) expect(formatCidr(cidr(r))).toBe(r);
    });
});

describe("contains", () => {
    it("compares whole ranges within one family", () => {
        expect(contains(cidr("104.16.0.0/13"), cidr("104.23.255.255"))).toBe(true);
        expect(contains(cidr("104.16.0.0/13"), cidr("104.24.0.0"))).toBe(false);
        expect(contains(cidr("104.16.0.0/13"), cidr("104.16.0.0/12"))).toBe(false);
        expect(contains(cidr("::/0"), cidr("0.0.0.0/0"))).toBe(false);
        expect(contains(cidr("2a06:98c0::/29"), cidr("2a06:98c7:ffff::/48"))).toBe(true);
        expect(contains(cidr("2a06:98c0::/29"), cidr("2a06:98c8::/32"))).toBe(false);
    });
});

const anyCidr = fc.oneof(
    fc.tuple(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.integer({ min: 0, max: 32 })).map(([n, p]) => `${formatCidr({ family: 4, network: n, prefix: 32 }).split("/")[0]}/${p}`),
    fc.tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 })).map(([n, p]) => `${formatCidr({ family: 6, network: n, prefix: 128 }).split("/")[0]}/${p}`),
);

describe("properties", () => {
    it("format and parse round-trip", () => {
        fc.assert(fc.property(anyCidr, (s) => expect(parseCidr(formatCidr(cidr(s)))).toEqual(cidr(s))));
    });

    it("splitting covers exactly the same addresses with ranges no broader than asked", () => {
        fc.assert(
            fc.property(anyCidr, fc.integer({ min: 0, max: 6 }), (s, extra) => {
                const c = cidr(s);
                const max = Math.min(c.family === 4 ? 32 : 128, c.prefix + extra);
                const parts = splitToPrefix(c, max);
                // Distinct, inside, of the asked breadth, and as many addresses in total: an exact cover.
                return (
                    parts.every((p) => p.prefix === max && contains(c, p)) &&
                    parts.reduce((n, p) => n + size(p), 0n) === size(c) &&
                    new Set(parts.map((p) => p.network)).size === parts.length
                );
            }),
        );
    });
});
