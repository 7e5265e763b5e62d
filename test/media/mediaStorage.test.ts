// MediaStorage under Pulumi's mocks: the S3 + Cloudflare path (prod) and the Ceph RGW claim (dev, homelab).
import { UNKNOWN } from "../../contract/resource";
import { mediaBucketFindings, type BucketAspect, type ResourceRecord } from "../../formats/bucketChecks";
import { isReadRestrictedToCidrs, mediaWriterPolicy, parsePolicy, statementsOf } from "../../formats/bucketPolicy";
import { CLOUDFLARE_RANGES } from "../../formats/cloudflareRanges";
import { policyResources } from "../../stacks/resources";
import { runStack, type RegisteredResource, type StackRun } from "../harness";
import { mediaUnderMocks, MOCK_ZONE_ID, S3_MEDIA, type MockedResource } from "./componentMocks";
import { manifestOf, schemaErrors } from "../schema/validate";

const asRecords = (rs: { type: string; inputs: Record<string, any> }[]): ResourceRecord[] => rs.map((r) => ({ type: r.type, props: r.inputs }));

/** A secret input as registered: Pulumi wraps it as { <signature>: <secret sig>, value }. */
const revealed = (v: any) => (v !== null && typeof v === "object" && "value" in v && Object.keys(v).length === 2 ? v.value : v);
const media = (mutate: (m: Record<string, any>) => void) => (c: Record<string, any>) => mutate(c["media-platform:media"]);
const T = {
    bucket: "aws:s3/bucket:Bucket",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    cors: "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    dns: "cloudflare:index/dnsRecord:DnsRecord",
    ruleset: "cloudflare:index/ruleset:Ruleset",
    obc: "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
};

// One shared prod run (the whole platform, hundreds of resources); config variants build the component alone.
let prodRun: Promise<StackRun> | undefined;
const prod = () => (prodRun ??= runStack("prod"));

describe("prod: one S3 bucket behind Cloudflare", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await prod();
    });
    const one = (type: string) => {
        const found = run.ofType(type);
        expect(found).toHaveLength(1);
        return found[0];
    };

    it("registers one protected bucket named after the media hostname, in the configured region", () => {
        const bucket = one(T.bucket);
        expect(bucket.inputs).toMatchObject({ bucket: "media.example.com", region: "eu-west-1", forceDestroy: false });
        expect(bucket.protect).toBe(true);
        expect(bucket.parent).toMatch(/media-platform:media:MediaStorage::media$/);
        // Every setting names the bucket by its plain name, so a rule can match it at preview.
        for (const type of [T.policy, T.pab, T.versioning, T.lifecycle, T.encryption, T.ownership, T.cors]) {
            expect(one(type).inputs).toMatchObject({ bucket: "media.example.com", region: "eu-west-1" });
        }
    });

    it("is not readable beyond Cloudflare, is encrypted, versioned and has lifecycle rules (the policy pack's check)", () => {
        expect(mediaBucketFindings(asRecords(run.resources), CLOUDFLARE_RANGES)).toEqual([{ bucket: "media.example.com", issues: [], problems: [] }]);
        const policy = parsePolicy(one(T.policy).inputs.policy)!;
        expect(isReadRestrictedToCidrs(policy, CLOUDFLARE_RANGES)).toBe(true);
        expect(isReadRestrictedToCidrs(policy, CLOUDFLARE_RANGES.filter((r) => r !== "104.16.0.0/13"))).toBe(false);
        expect(one(T.pab).inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        expect(one(T.encryption).inputs.rules[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
        expect(one(T.ownership).inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    });

    it("gives the same verdict on the resources as the policy pack's analyzer receives them", () => {
        expect(mediaBucketFindings(policyResources(run.resources), CLOUDFLARE_RANGES)).toEqual([{ bucket: "media.example.com", issues: [], problems: [] }]);
    });

    it("orders the bucket policy after the public access block (S3 refuses concurrent changes)", () => {
        expect(one(T.policy).dependencies).toContain(one(T.pab).urn);
        expect(one(T.lifecycle).dependencies).toContain(one(T.versioning).urn);
    });

    it("expires noncurrent versions and aborts stale uploads after the configured days", () => {
        expect(one(T.lifecycle).inputs.rules).toEqual([
            expect.objectContaining({ status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 30 } }),
            expect.objectContaining({ status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }),
        ]);
    });

    it("allows CORS reads from the media hostname", () => {
        expect(one(T.cors).inputs.corsRules).toEqual([expect.objectContaining({ allowedMethods: ["GET", "HEAD"], allowedOrigins: ["https://media.example.com"] })]);
    });

    it("points a proxied CNAME at the bucket's regional endpoint, in the zone looked up by name", () => {
        expect(one(T.dns).inputs).toMatchObject({
            name: "media.example.com",
            type: "CNAME",
            content: "media.example.com.s3.eu-west-1.amazonaws.com",
            proxied: true,
            ttl: 1,
            zoneId: "023e105f4ecef8ad9ca31a8372d0c353",
        });
    });

    it("caches media at the edge for the configured TTL, and keeps the origin connection encrypted", () => {
        const byPhase = (phase: string) => run.ofType(T.ruleset).find((x) => x.inputs.phase === phase)!;
        const cache = byPhase("http_request_cache_settings").inputs;
        expect(cache).toMatchObject({ kind: "zone", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" });
        expect(cache.rules).toEqual([
            expect.objectContaining({
                expression: '(http.host eq "media.example.com")',
                action: "set_cache_settings",
                actionParameters: expect.objectContaining({ cache: true, edgeTtl: expect.objectContaining({ mode: "override_origin", default: 86400 }) }),
            }),
        ]);
        expect(byPhase("http_config_settings").inputs.rules[0]).toMatchObject({ action: "set_config", actionParameters: { ssl: "full" } });
    });

    it("gives the writers one IAM user limited to tenants/ in this bucket, and its keys as a Secret", () => {
        const user = one("aws:iam/user:User");
        expect(user.inputs).toMatchObject({ name: "media-writer-prod", path: "/media-platform/" });
        const policy = one("aws:iam/userPolicy:UserPolicy");
        expect(JSON.parse(policy.inputs.policy)).toEqual(mediaWriterPolicy("media.example.com"));
        expect(run.ofType("aws:iam/userPolicyAttachment:UserPolicyAttachment")).toHaveLength(0);
        // The key is the writer's: its user input is the user's name (an output of the user, so the key waits for it).
        expect(one("aws:iam/accessKey:AccessKey").inputs.user).toBe(user.outputs.name);

        const secret = run.one("media-credentials", "kubernetes:core/v1:Secret");
        const configMap = run.one("media-endpoint", "kubernetes:core/v1:ConfigMap");
        expect(secret.inputs.metadata).toMatchObject({ name: "media-bucket", namespace: "media-app" });
        expect(revealed(secret.inputs.stringData)).toEqual({ AWS_ACCESS_KEY_ID: "media-writer-key-id", AWS_SECRET_ACCESS_KEY: "mock-secret-access-key" });
        expect(configMap.inputs.data).toEqual({ BUCKET_HOST: "s3.eu-west-1.amazonaws.com", BUCKET_PORT: "443", BUCKET_NAME: "media.example.com", BUCKET_REGION: "eu-west-1" });
        for (const r of [secret, configMap]) {
            expect(schemaErrors(manifestOf({ ...r.inputs, stringData: revealed(r.inputs.stringData) }))).toEqual([]);
            expect(r.provider).toMatch(/pulumi:providers:kubernetes::platform-k8s/);
        }
    });

    it("exports what an app needs as stack outputs", () => {
        expect(run.outputs.media).toEqual({
            provider: "s3",
            endpoint: "https://s3.eu-west-1.amazonaws.com",
            bucket: "media.example.com",
            region: "eu-west-1",
            pathStyle: true,
            cdnHostname: "media.example.com",
            namespace: "media-app",
            credentialsSecret: "media-bucket",
            endpointConfigMap: "media-bucket",
            tenantPrefixRoot: "tenants/",
        });
    });
});

describe("MediaStorage alone: config variants", () => {
    const ofType = (rs: MockedResource[], type: string) => rs.filter((r) => r.type === type);

    it("takes lifecycle days, CORS origins and the edge TTL from config", async () => {
        const { resources } = await mediaUnderMocks({
            ...S3_MEDIA,
            noncurrentVersionDays: 10,
            incompleteUploadDays: 2,
            corsOrigins: ["https://social.example.com"],
            cdn: { ...S3_MEDIA.cdn, edgeTtlSeconds: 3600 },
        });
        const [lifecycle] = ofType(resources, T.lifecycle);
        expect(lifecycle.inputs.rules[0].noncurrentVersionExpiration).toEqual({ noncurrentDays: 10 });
        expect(lifecycle.inputs.rules[1].abortIncompleteMultipartUpload).toEqual({ daysAfterInitiation: 2 });
        expect(ofType(resources, T.cors)[0].inputs.corsRules[0].allowedOrigins).toEqual(["https://social.example.com"]);
        const cache = ofType(resources, T.ruleset).find((r) => r.inputs.phase === "http_request_cache_settings")!;
        expect(cache.inputs.rules[0].actionParameters.edgeTtl.default).toBe(3600);
        expect(ofType(resources, T.dns)[0].inputs.zoneId).toBe(MOCK_ZONE_ID);
    });

    it("gives the same verdict in a preview, where outputs are unknown (every checked field is a plain input)", async () => {
        const { resources } = await mediaUnderMocks(S3_MEDIA, { preview: true });
        expect(mediaBucketFindings(asRecords(resources), CLOUDFLARE_RANGES)).toEqual([{ bucket: "media.example.com", issues: [], problems: [] }]);
    });

    it("without a CDN, serves no anonymous reads at all and creates nothing at Cloudflare", async () => {
        const { resources } = await mediaUnderMocks({ ...S3_MEDIA, cdn: { provider: "none" } });
        expect(resources.filter((r) => r.type.startsWith("cloudflare:"))).toEqual([]);
        const policy = parsePolicy(ofType(resources, T.policy)[0].inputs.policy)!;
        expect(statementsOf(policy).filter((s) => s.Effect === "Allow")).toEqual([]);
        expect(mediaBucketFindings(asRecords(resources), [])).toEqual([{ bucket: "media.example.com", issues: [], problems: [] }]);
    });

    it("points the RGW claim at the given object store and Rook operator namespace", async () => {
        const { resources, component } = await mediaUnderMocks(
            { provider: "rgw", hostname: "media.home.arpa" },
            { args: { objectStore: { name: "photos", namespace: "ceph", port: 8080 }, rookOperatorNamespace: "rook-system" } },
        );
        expect(ofType(resources, T.storageClass)[0].inputs).toMatchObject({
            provisioner: "rook-system.ceph.rook.io/bucket",
            parameters: { objectStoreName: "photos", objectStoreNamespace: "ceph" },
        });
        expect(component.app.endpoint).toBe("http://rook-ceph-rgw-photos.ceph.svc:8080");
        expect(resources.filter((r) => /^(aws|cloudflare):/.test(r.type))).toEqual([]);
    });
});

describe("the bucket check finds what a change would break", () => {
    let resources: ResourceRecord[];
    beforeAll(async () => {
        resources = asRecords((await prod()).resources);
    });
    const tamper = (type: string, change: (props: Record<string, any>) => Record<string, any> | undefined) =>
        resources.flatMap((r) => {
            if (r.type !== type) return [r];
            const props = change(structuredClone(r.props));
            return props === undefined ? [] : [{ type, props }];
        });
    const problemsOf = (rs: ResourceRecord[]) => mediaBucketFindings(rs, CLOUDFLARE_RANGES).flatMap((f) => f.problems).join("\n");
    const issuesOf = (rs: ResourceRecord[]) => mediaBucketFindings(rs, CLOUDFLARE_RANGES).flatMap((f) => f.issues);

    it.each<[string, string, (p: Record<string, any>) => Record<string, any> | undefined, RegExp, BucketAspect]>([
        [
            "a public-read statement",
            T.policy,
            (p) => {
                const doc = JSON.parse(p.policy);
                doc.Statement.push({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::media.example.com/*" });
                return { ...p, policy: JSON.stringify(doc) };
            },
            /without limiting aws:SourceIp/,
            "access",
        ],
        [
            "Cloudflare's unsplit /29",
            T.policy,
            (p) => ({ ...p, policy: p.policy.replace('"2a06:98c0::/32"', '"2a06:98c0::/29"') }),
            /2a06:98c0::\/29 is broader than S3 accepts/,
            "access",
        ],
        ["a policy unknown at preview", T.policy, (p) => ({ ...p, policy: undefined }), /not a JSON policy document known at preview/, "access"],
        ["a public access block turned off", T.pab, (p) => ({ ...p, restrictPublicBuckets: false }), /leaves restrictPublicBuckets off/, "access"],
        ["no public access block", T.pab, () => undefined, /no BucketPublicAccessBlock/, "access"],
        ["suspended versioning", T.versioning, (p) => ({ ...p, versioningConfiguration: { status: "Suspended" } }), /versioning is not Enabled/, "versioning"],
        ["no encryption", T.encryption, () => undefined, /no default encryption/, "encryption"],
        ["ACLs back on", T.ownership, (p) => ({ ...p, rule: { objectOwnership: "ObjectWriter" } }), /ACLs are not disabled/, "access"],
        ["a lifecycle limited to one prefix", T.lifecycle, (p) => ({ ...p, rules: p.rules.map((r: any) => ({ ...r, filter: { prefix: "tenants/a/" } })) }), /expires noncurrent versions across the whole bucket/, "lifecycle"],
        ["a disabled abort rule", T.lifecycle, (p) => ({ ...p, rules: p.rules.map((r: any) => ({ ...r, status: r.abortIncompleteMultipartUpload ? "Disabled" : r.status })) }), /aborts incomplete multipart uploads/, "lifecycle"],
        ["a public canned ACL", T.bucket, (p) => ({ ...p, acl: "public-read" }), /acl public-read makes it public/, "access"],
        ["an unnamed bucket", T.bucket, (p) => ({ ...p, bucket: undefined }), /no explicit name/, "access"],
        ["a bucket name unknown at preview", T.bucket, (p) => ({ ...p, bucket: UNKNOWN }), /no explicit name/, "access"],
    ])("%s", (_what, type, change, expected, aspect) => {
        const issues = issuesOf(tamper(type, change));
        expect(issues.map((i) => i.message).join("\n")).toMatch(expected);
        expect(issues.filter((i) => expected.test(i.message)).map((i) => i.aspect)).toContain(aspect);
    });

    it("flags a public BucketAcl added beside the bucket", () => {
        const acl = { type: "aws:s3/bucketAcl:BucketAcl", props: { bucket: "media.example.com", acl: "public-read" } };
        expect(problemsOf([...resources, acl])).toMatch(/a BucketAcl grants access to everyone/);
    });
});

describe.each(["dev", "homelab"])("%s: a bucket claim on the Ceph object store", (stack) => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack(stack);
    });

    it("claims a protected bucket named after the media hostname, valid against Rook's CRD", () => {
        const [claim] = run.ofType(T.obc);
        expect(schemaErrors(manifestOf(claim.inputs))).toEqual([]);
        // The check is real: a misspelt field of the claim is caught.
        expect(schemaErrors(manifestOf({ ...claim.inputs, spec: { ...claim.inputs.spec, bucketname: "x" } })).join()).toMatch(/additional properties \(bucketname\)/);
        expect(claim.inputs.metadata).toMatchObject({ name: "media-bucket", namespace: "media-app" });
        expect(claim.inputs.spec).toMatchObject({ bucketName: run.config.media.hostname, storageClassName: "ceph-bucket" });
        // The same two whole-bucket lifecycle rules as the S3 bucket's, in S3's JSON, rules sorted by ID.
        expect(JSON.parse(claim.inputs.spec.additionalConfig.bucketLifecycle).Rules).toEqual([
            { ID: "abort-incomplete-multipart-uploads", Status: "Enabled", Prefix: "", AbortIncompleteMultipartUpload: { DaysAfterInitiation: run.config.media.incompleteUploadDays } },
            { ID: "expire-noncurrent-versions", Status: "Enabled", Prefix: "", NoncurrentVersionExpiration: { NoncurrentDays: run.config.media.noncurrentVersionDays } },
        ]);
        expect(claim.protect).toBe(true);
        expect(claim.provider).toMatch(/pulumi:providers:kubernetes::platform-k8s/);
        expect(claim.dependencies).toContain(run.one("app-namespace").urn);
    });

    it("offers bucket claims on the configured object store through a retaining StorageClass", () => {
        const [sc] = run.ofType(T.storageClass).filter((s) => s.name === "media-bucket-class");
        expect(schemaErrors(manifestOf({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", ...sc.inputs }))).toEqual([]);
        expect(sc.inputs).toMatchObject({
            metadata: { name: "ceph-bucket" },
            provisioner: "rook-ceph.ceph.rook.io/bucket",
            reclaimPolicy: "Retain",
            parameters: { objectStoreName: run.config.storage.objectStore.name, objectStoreNamespace: "rook-ceph" },
        });
    });

    it("creates nothing in AWS or Cloudflare, and nothing public; encrypted at rest, with lifecycle; says it cannot be versioned", () => {
        expect(run.resources.filter((r) => /^(aws|cloudflare):/.test(r.type) && r.parent.includes("MediaStorage"))).toEqual([]);
        expect(mediaBucketFindings(asRecords(run.resources), CLOUDFLARE_RANGES)).toEqual([
            {
                bucket: run.config.media.hostname,
                issues: [{ aspect: "rgw-limits", message: expect.stringMatching(/^it is not versioned: Rook's ObjectBucketClaim has no setting/) }],
                problems: [expect.any(String)],
            },
        ]);
        // The operator lets claims carry their lifecycle, and nothing riskier.
        expect(run.one("storage-rook-operator").inputs.spec.values.obcAllowAdditionalConfigFields).toBe("maxObjects,maxSize,bucketLifecycle");
        expect(run.one("storage-cluster").inputs.spec.storage.config).toEqual({ encryptedDevice: "true" });
    });

    it("gives apps the same interface as S3: endpoint, bucket, credentials Secret and CDN hostname", () => {
        expect(run.outputs.media).toMatchObject({
            provider: "rgw",
            endpoint: "http://rook-ceph-rgw-media.rook-ceph.svc:80",
            bucket: run.config.media.hostname,
            cdnHostname: run.config.media.hostname,
            namespace: "media-app",
            credentialsSecret: "media-bucket",
            endpointConfigMap: "media-bucket",
        });
    });
});

describe("bucket claims", () => {
    it("flags a claim that would make its bucket public", () => {
        const claim = {
            type: T.obc,
            props: {
                metadata: { name: "media-bucket" },
                spec: { bucketName: "media.dev.localhost", additionalConfig: { bucketPolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] }) } },
            },
        };
        expect(mediaBucketFindings([claim], CLOUDFLARE_RANGES)[0].problems.join()).toMatch(/additionalConfig.bucketPolicy: .* no CDN ranges are allowed/);
    });
});

describe("media config", () => {
    it.each<[string, (m: Record<string, any>) => void, RegExp]>([
        ["a hostname too long to be a bucket name", (m) => (m.hostname = `${"m".repeat(60)}.example.com`), /media\.hostname: expected at most 63 characters \(the bucket is named after it; this one has 72\)/],
        ["a CORS origin with a path", (m) => (m.corsOrigins = ["https://social.example.com/web"]), /media\.corsOrigins\[0\]: expected an origin such as https:\/\/social\.example\.com \(no path\)/],
        ["zero days of noncurrent versions", (m) => (m.noncurrentVersionDays = 0), /media\.noncurrentVersionDays: expected a whole number ≥ 1/],
        ["zero days for stale uploads", (m) => (m.incompleteUploadDays = 0), /media\.incompleteUploadDays: expected a whole number ≥ 1/],
    ])("refuses %s, naming the path, with nothing registered", async (_what, change, expected) => {
        const registered: RegisteredResource[] = [];
        await expect(runStack("prod", { mutate: media(change), registered })).rejects.toThrow(expected);
        expect(registered).toEqual([]);
    });
});
