// Runs a stack's program offline, under Pulumi's mocks, and returns every resource it registered with the
// inputs and resource options (protect, parent, provider, …) exactly as the engine would receive them.
// The test harness (test/harness) and the offline `check` command both stand on it.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, type PlatformConfig } from "../config/schema";
import { readStackFileConfig, stackFile, stackNameOf, toPulumiStrings } from "../config/load";

/** One registered resource as the engine sees it. */
export interface RegisteredResource {
    urn: string;
    type: string;
    name: string;
    /** True for custom (provider-backed) resources, false for components. */
    custom: boolean;
    /** Inputs, with unknowns as undefined (preview-like). */
    inputs: Record<string, any>;
    /** Outputs the mocks returned (inputs plus mock outputs). */
    outputs: Record<string, any>;
    parent: string;
    provider: string;
    dependencies: string[];
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    /** Property paths whose change forces a replacement. */
    replaceOnChanges?: string[];
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    aliases: string[];
}

export interface StackRun {
    stack: string;
    config: PlatformConfig;
    resources: RegisteredResource[];
    /** Stack outputs, resolved. */
    outputs: Record<string, unknown>;
    /** Every resource of a type token, e.g. `kubernetes:apps/v1:Deployment`. */
    ofType(type: string): RegisteredResource[];
    /** The resource with this logical name (and type, when given); throws when absent or ambiguous. */
    one(name: string, type?: string): RegisteredResource;
}

export interface RunStackOptions {
    /** Change the stack file's config (all namespaces, YAML values) before it is handed to the program. */
    mutate?: (config: Record<string, any>) => void;
    /** Run as a preview (outputs of resources unknown). Default false. */
    preview?: boolean;
    /** Receives every registration as it happens, also when the program then fails. */
    registered?: RegisteredResource[];
}

/** Outputs the mocks give resources whose outputs the program reads (everything else echoes its inputs). */
function mockOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    switch (type) {
        case "aws:eks/cluster:Cluster":
            return { ...inputs, endpoint: `https://${name}.eks.example`, certificateAuthority: { data: "Y2E=" }, arn: `arn:aws:eks:::cluster/${name}` };
        case "aws:iam/role:Role":
            return { ...inputs, arn: `arn:aws:iam::123456789012:role/${name}`, name: inputs.name ?? name };
        case "aws:iam/user:User":
            return { ...inputs, arn: `arn:aws:iam::123456789012:user${inputs.path ?? "/"}${inputs.name ?? name}`, name: inputs.name ?? name };
        case "aws:iam/accessKey:AccessKey":
            return { ...inputs, secret: "mock-secret-access-key" };
        case "aws:s3/bucketV2:BucketV2":
        case "aws:s3/bucket:Bucket":
            return { ...inputs, arn: `arn:aws:s3:::${inputs.bucket ?? name}`, bucket: inputs.bucket ?? name };
        default:
            return { ...inputs, ...(inputs.name === undefined && type.startsWith("aws:") ? { name } : {}) };
    }
}

function mockCall(token: string, inputs: Record<string, any>): Record<string, any> {
    switch (token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/ci", userId: "ci" };
        case "aws:index/getRegion:getRegion":
            return { name: "eu-west-1", region: "eu-west-1" };
        case "aws:eks/getCluster:getCluster":
            return { name: inputs.name, endpoint: `https://${inputs.name}.eks.example`, certificateAuthorities: [{ data: "Y2E=" }], certificateAuthority: { data: "Y2E=" } };
        case "cloudflare:index/getZone:getZone":
            return { id: "023e105f4ecef8ad9ca31a8372d0c353", zoneId: "023e105f4ecef8ad9ca31a8372d0c353", name: inputs.filter?.name };
        default:
            return inputs;
    }
}

async function resolveOutputs(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        return new Promise((resolve) => (value as pulumi.Output<unknown>).apply((v) => resolve(resolveOutputs(v))));
    }
    if (Array.isArray(value)) return Promise.all(value.map(resolveOutputs));
    if (value !== null && typeof value === "object" && !(value instanceof pulumi.Resource)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await resolveOutputs(v);
        return out;
    }
    return value;
}

/**
 * Runs the program of a shipped stack (`"dev"`) or of any stack file (a path ending in .yaml) under mocks.
 * Throws what the program throws (a ConfigError for bad config) before any resource is registered.
 */
export async function runStackOffline(stackOrFile: string, opts: RunStackOptions = {}): Promise<StackRun> {
    const file = /\.ya?ml$/.test(stackOrFile) ? path.resolve(stackOrFile) : stackFile(stackOrFile);
    const stack = stackNameOf(file);
    const config = readStackFileConfig(file);
    opts.mutate?.(config);
    pulumi.runtime.setAllConfig(toPulumiStrings(config));

    const resources: RegisteredResource[] = opts.registered ?? [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: args.custom ? `${args.name}-id` : undefined, state: mockOutputs(args.type, args.name, args.inputs) }),
            call: (args) => mockCall(args.token, args.inputs),
        },
        PROJECT,
        stack,
        opts.preview ?? false,
    );
    captureRegistrations(resources);

    // The program is imported only once the mocks are set, as Pulumi requires.
    const program: typeof import("./program") = require("./program");
    const exported = program.main();
    const outputs = (await resolveOutputs(exported)) as Record<string, unknown>;
    await waitForRegistrations();
    const parsed = program.loadPulumiConfig();
    return makeRun(stack, parsed, resources, outputs);
}

export function makeRun(stack: string, config: PlatformConfig, resources: RegisteredResource[], outputs: Record<string, unknown>): StackRun {
    return {
        stack,
        config,
        resources,
        outputs,
        ofType: (type) => resources.filter((r) => r.type === type),
        one(name, type) {
            const found = resources.filter((r) => r.name === name && (type === undefined || r.type === type));
            if (found.length !== 1) {
                throw new Error(`expected one resource named ${name}${type ? ` of type ${type}` : ""}, found ${found.length}`);
            }
            return found[0];
        },
    };
}

let pending = 0;
let idle: (() => void)[] = [];

/** Wraps the mock monitor so each registration is recorded with its options. */
function captureRegistrations(into: RegisteredResource[]): void {
    const settings = require("@pulumi/pulumi/runtime/settings");
    const monitor = settings.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    const { deserializeProperties } = require("@pulumi/pulumi/runtime/rpc");
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
        pending++;
        original(req, (err: any, resp: any) => {
            if (!err) {
                into.push({
                    urn: resp.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    inputs: deserializeProperties(req.getObject()),
                    outputs: resp.getObject() ? deserializeProperties(resp.getObject()) : {},
                    parent: req.getParent(),
                    provider: req.getProvider(),
                    dependencies: req.getDependenciesList(),
                    protect: req.getProtect() ?? false,
                    retainOnDelete: req.getRetainondelete() ?? false,
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                    replaceOnChanges: req.getReplaceonchangesList(),
                    ignoreChanges: req.getIgnorechangesList(),
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                    aliases: req.getAliasurnsList(),
                });
            }
            callback(err, resp);
            if (--pending === 0) {
                const waiting = idle;
                idle = [];
                setImmediate(() => waiting.forEach((w) => w()));
            }
        });
    };
}

/** Waits until the program's registrations have settled (no new one for a few turns of the event loop). */
async function waitForRegistrations(): Promise<void> {
    const settings = require("@pulumi/pulumi/runtime/settings");
    for (let quiet = 0; quiet < 3; ) {
        await settings.waitForRPCs?.();
        if (pending > 0) {
            await new Promise<void>((r) => idle.push(r));
            quiet = 0;
        } else {
            await new Promise((r) => setImmediate(r));
            quiet++;
        }
    }
}
