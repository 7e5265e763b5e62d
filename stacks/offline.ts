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
    /** The resources named in dependsOn (the data dependencies of Output inputs are not listed). */
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

/** The root stack's type: the mocks qualify top-level URNs with it, where the engine leaves it out. */
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
/** A URN as the engine writes it (without the root stack's type the mocks put before top-level types). */
const engineUrn = (urn: string) => urn.replace(`::${ROOT_STACK_TYPE}$`, "::");

/** A promise of an Output's value, through its public apply. */
const valueOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply((v) => resolve(v)));

/**
 * Runs the program of a shipped stack (`"dev"`) or of any stack file (a path ending in .yaml) under mocks.
 * Throws what the program throws (a ConfigError for bad config) before any resource is registered.
 *
 * Only public SDK interfaces: the mocks see each registration's type, name, inputs and provider; a stack
 * transformation (run inside the root stack, as the engine runs a program) sees its resource options; each
 * resource's URN resolves once its registration is done.
 */
export async function runStackOffline(stackOrFile: string, opts: RunStackOptions = {}): Promise<StackRun> {
    const file = /\.ya?ml$/.test(stackOrFile) ? path.resolve(stackOrFile) : stackFile(stackOrFile);
    const stack = stackNameOf(file);
    const config = readStackFileConfig(file);
    opts.mutate?.(config);
    pulumi.runtime.setAllConfig(toPulumiStrings(config));

    /** What the mocks saw, by type and name (unique in a stack: every name carries its component's). */
    const mocked = new Map<string, { inputs: Record<string, any>; outputs: Record<string, any>; provider: string; custom: boolean }>();
    const registered = opts.registered ?? [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const outputs = mockOutputs(args.type, args.name, args.inputs);
                if (args.type !== ROOT_STACK_TYPE) {
                    mocked.set(`${args.type}::${args.name}`, { inputs: args.inputs, outputs, provider: args.provider ?? "", custom: args.custom ?? false });
                    registered.push({ ...emptyRegistration(args.type, args.name), inputs: args.inputs, outputs, custom: args.custom ?? false });
                }
                return { id: args.custom ? `${args.name}-id` : undefined, state: outputs };
            },
            call: (args) => mockCall(args.token, args.inputs),
        },
        PROJECT,
        stack,
        opts.preview ?? false,
    );

    // In the order the registrations complete, as the engine records them.
    const captured: pulumi.ResourceTransformationArgs[] = [];
    const completed: { args: pulumi.ResourceTransformationArgs; urn: string }[] = [];
    // The program is imported only once the mocks are set, as Pulumi requires.
    const program: typeof import("./program") = require("./program");
    // Bad input ends the run before the root stack exists (inside it, the stack's own promise would reject too).
    const input = program.loadInput();
    const outputs = (await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            captured.push(args);
            // The URN exists once the constructor has returned.
            void Promise.resolve().then(() => args.resource.urn.apply((urn) => completed.push({ args, urn })));
            return undefined;
        });
        return resolveOutputs(program.main(input));
    })) as Record<string, unknown>;

    await Promise.all(captured.map((c) => valueOf(c.resource.urn)));
    const resources: RegisteredResource[] = [];
    for (const { args: c, urn: mockUrn } of completed) {
        const seen = mocked.get(`${c.type}::${c.name}`);
        if (!seen) throw new Error(`offline run: ${c.type} ${c.name} was constructed but never registered`);
        const urn = engineUrn(mockUrn);
        const o = c.opts as pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
        const parent = o.parent ? engineUrn(await valueOf(o.parent.urn)) : "";
        const dependsOn = o.dependsOn === undefined ? [] : await valueOf(pulumi.output(o.dependsOn as pulumi.Input<pulumi.Input<pulumi.Resource>[]>));
        const dependencies = await Promise.all((Array.isArray(dependsOn) ? dependsOn : [dependsOn]).map(async (d) => engineUrn(await valueOf((d as pulumi.Resource).urn))));
        resources.push({
            urn,
            type: c.type,
            name: c.name,
            custom: seen.custom,
            inputs: seen.inputs,
            outputs: seen.outputs,
            parent,
            provider: engineUrn(seen.provider),
            dependencies,
            protect: o.protect ?? false,
            retainOnDelete: o.retainOnDelete ?? false,
            deleteBeforeReplace: o.deleteBeforeReplace ?? false,
            replaceOnChanges: o.replaceOnChanges ?? [],
            ignoreChanges: o.ignoreChanges ?? [],
            additionalSecretOutputs: o.additionalSecretOutputs ?? [],
            aliases: [],
        });
    }
    return makeRun(stack, input.config, resources, outputs);
}

/** A registration as the mocks first see it, before its options are known. */
function emptyRegistration(type: string, name: string): RegisteredResource {
    return { urn: "", type, name, custom: false, inputs: {}, outputs: {}, parent: "", provider: "", dependencies: [], protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [] };
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
