import { evaluate, type PolicyResource } from "../../policies/framework";
import { aspectOf, bucketAccess, bucketEncryption, bucketLifecycle, bucketVersioning } from "../../policies/rules/media";
import { stackResources } from "./helpers";

const ofType = (rs: PolicyResource[], t: string) => rs.filter((r) => r.type === t);
const without = (rs: PolicyResource[], t: string) => rs.filter((r) => r.type !== t);
const ALL = [bucketAccess, bucketEncryption, bucketVersioning, bucketLifecycle];

describe("media bucket rules on the prod stack's S3 bucket", () => {
    let resources: PolicyResource[];
    beforeAll(async () => {
        ({ resources } = await stackResources("prod"));
    });

    it("pass the bucket as the media component builds it", () => {
        expect(ofType(resources, "aws:s3/bucket:Bucket")).toHaveLength(1);
        for (const r of ALL) expect(evaluate(r, resources)).toEqual([]);
    });

    it("reject a bucket policy that lets anyone read (no CDN source restriction)", () => {
        const open = resources.map((r) => {
            if (r.type !== "aws:s3/bucketPolicy:BucketPolicy") return r;
            const doc = JSON.parse(r.props.policy);
            for (const s of doc.Statement) if (s.Effect === "Allow") delete s.Condition;
            return { ...r, props: { ...r.props, policy: JSON.stringify(doc) } };
        });
        const found = evaluate(bucketAccess, open);
        expect(found.length).toBeGreaterThan(0);
        expect(found[0]).toMatchObject({ level: "mandatory", urn: ofType(resources, "aws:s3/bucket:Bucket")[0].urn });
        // With a wider CDN restriction configured, a policy limited to those ranges would pass: the ranges are per-stack config.
        expect(evaluate(bucketAccess, resources, { cdnRanges: ["10.0.0.0/8"] }).length).toBeGreaterThan(0);
    });

    it("reject a bucket without default encryption, without versioning, and (advisory) without lifecycle", () => {
        expect(evaluate(bucketEncryption, without(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"))).toEqual([
            expect.objectContaining({ level: "mandatory", message: expect.stringContaining("no default encryption") }),
        ]);
        const suspended = resources.map((r) => (r.type === "aws:s3/bucketVersioning:BucketVersioning" ? { ...r, props: { ...r.props, versioningConfiguration: { status: "Suspended" } } } : r));
        expect(evaluate(bucketVersioning, suspended)).toEqual([expect.objectContaining({ message: expect.stringContaining("versioning is not Enabled") })]);
        const noLifecycle = without(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
        expect(evaluate(bucketLifecycle, noLifecycle).map((f) => f.level)).toEqual(["advisory", "advisory"]);
        // Each finding lands in exactly one rule.
        expect(evaluate(bucketAccess, noLifecycle)).toEqual([]);
    });

    it("sorts every kind of finding into one rule, unknown kinds into the mandatory access rule", () => {
        expect(aspectOf("no lifecycle rule aborts incomplete multipart uploads across the whole bucket")).toBe("lifecycle");
        expect(aspectOf("no default encryption (BucketServerSideEncryptionConfiguration with an sseAlgorithm)")).toBe("encryption");
        expect(aspectOf("something new and unexpected")).toBe("access");
    });
});

describe("media bucket rules on the dev stack's Ceph RGW bucket claim", () => {
    it("pass the claim, which grants no one anything", async () => {
        const { resources } = await stackResources("dev");
        expect(ofType(resources, "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim")).toHaveLength(1);
        for (const r of ALL) expect(evaluate(r, resources)).toEqual([]);
    });
});
