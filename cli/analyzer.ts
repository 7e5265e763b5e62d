// The analyzer client: starts the policy pack as its own process and speaks Pulumi's analyzer gRPC protocol
// to it the way the engine does during `pulumi preview --policy-pack policies` — GetAnalyzerInfo, Configure
// with the reconciled per-stack config, Analyze per resource (its inputs), AnalyzeStack with every resource
// (its outputs, options, parent, dependencies and provider) — and maps the diagnostics back by URN.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { RegisteredResource } from "../stacks/offline";
import type { EnforcementLevel, PackConfig, PolicyInfo } from "./policyConfig";
import * as pulumi from "@pulumi/pulumi";
import { isUnknown } from "../contract/resource";
import { plainProps } from "../stacks/resources";
import { PACK_DIR } from "./packBuild";


/**
 * How the pack process is started. "tsx": node with tsx's loader (fast, what `check` uses by default).
 * "pulumi": exactly as the Pulumi CLI's nodejs host does — `node @pulumi/pulumi/cmd/run-policy-pack <engine> .`
 * with the pack folder as cwd, which loads the package's `main`, the bundle (built first: ensurePolicyPackBuilt).
 */
export type PackRunner = "tsx" | "pulumi";

export interface Diagnostic {
    policyName: string;
    policyPackName: string;
    policyPackVersion: string;
    description: string;
    /** The message as the engine prints it: the policy's description, then what was found. */
    message: string;
    enforcementLevel: EnforcementLevel;
    severity?: string;
    urn: string;
}

export interface AnalyzerInfo {
    name: string;
    version: string;
    policies: PolicyInfo[];
    initialConfig: PackConfig;
}

const LEVEL_NAMES: Record<number, EnforcementLevel> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const LEVEL_NUMBERS: Record<EnforcementLevel, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const SEVERITIES: Record<number, string | undefined> = { 0: undefined, 1: "low", 2: "medium", 3: "high", 4: "critical" };
// @pulumi/policy raises gRPC's message limit to 400 MB; the engine does the same.
const MAX_MESSAGE = 400 * 1024 * 1024;

function promisify<Req, Res>(client: AnalyzerClient, method: string, req: Req): Promise<Res> {
    return new Promise((resolve, reject) =>
        (client as any)[method](req, (err: grpc.ServiceError | null, res: Res) => (err ? reject(new Error(`${method}: ${err.details || err.message}`)) : resolve(res))),
    );
}

/**
 * A Struct of a property bag, marshalled as the engine does for analyzers (see plainProps): a value unknown
 * during preview travels as the protocol's unknown value (the SDK's own constant), as the engine sends it.
 */
export function toStruct(value: Record<string, unknown>): Struct {
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(plainProps(value), (_k, v) => (isUnknown(v) ? pulumi.runtime.unknownValue : v))));
}

function optionsOf(r: RegisteredResource, parent: string): pb.AnalyzerResourceOptions {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.protect);
    o.setIgnorechangesList(r.ignoreChanges ?? []);
    o.setDeletebeforereplace(r.deleteBeforeReplace ?? false);
    o.setDeletebeforereplacedefined(r.deleteBeforeReplace !== undefined);
    o.setAdditionalsecretoutputsList(r.additionalSecretOutputs ?? []);
    o.setAliasesList(r.aliases ?? []);
    o.setCustomtimeouts(new pb.AnalyzerResourceOptions.CustomTimeouts());
    o.setParent(parent);
    return o;
}

/** A provider reference `urn::id` → the provider resource, as the engine attaches it to each request. */
function providerOf(r: RegisteredResource, byUrn: Map<string, RegisteredResource>): pb.AnalyzerProviderResource | undefined {
    if (!r.provider) return undefined;
    const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
    const p = byUrn.get(urn);
    if (!p) return undefined;
    const out = new pb.AnalyzerProviderResource();
    out.setType(p.type);
    out.setUrn(p.urn);
    out.setName(p.name);
    out.setProperties(toStruct(p.inputs));
    return out;
}

function toDiagnostic(d: pb.AnalyzeDiagnostic, urn: string): Diagnostic {
    return {
        policyName: d.getPolicyname(),
        policyPackName: d.getPolicypackname(),
        policyPackVersion: d.getPolicypackversion(),
        description: d.getDescription(),
        message: d.getMessage(),
        enforcementLevel: LEVEL_NAMES[d.getEnforcementlevel()] ?? "advisory",
        severity: SEVERITIES[d.getSeverity()],
        urn: d.getUrn() || urn,
    };
}

function configFromProto(map: Map<string, pb.PolicyConfig> | any): PackConfig {
    const out: PackConfig = {};
    for (const [name, c] of map.entries() as Iterable<[string, pb.PolicyConfig]>) {
        out[name] = { enforcementLevel: LEVEL_NAMES[c.getEnforcementlevel()], properties: (c.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown> };
    }
    return out;
}

/** A running policy pack and a client connected to it. */
export class PolicyPackProcess {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: AnalyzerClient,
        private readonly stderr: () => string,
    ) {}

    /** Starts the pack (its folder as cwd, as the engine does) and connects to the port it prints first. */
    static async start(opts: { dir?: string; runner?: PackRunner; timeoutMs?: number } = {}): Promise<PolicyPackProcess> {
        const dir = opts.dir ?? PACK_DIR;
        const runner = opts.runner ?? "tsx";
        const args =
            runner === "tsx"
                ? ["--import", "tsx", "index.ts"]
                : [require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] }), "127.0.0.1:0", "."];
        const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: process.env });
        let err = "";
        child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(() => {
                child.kill();
                reject(new Error(`policy pack in ${dir} printed no port within ${opts.timeoutMs ?? 120000} ms\n${err}`));
            }, opts.timeoutMs ?? 120000);
            const onData = (b: Buffer) => {
                out += b.toString();
                const nl = out.indexOf("\n");
                if (nl >= 0) {
                    clearTimeout(timer);
                    child.stdout!.off("data", onData);
                    const n = Number(out.slice(0, nl).trim());
                    if (Number.isInteger(n) && n > 0) resolve(n);
                    else reject(new Error(`policy pack printed "${out.slice(0, nl)}" instead of its port\n${err}`));
                }
            };
            child.stdout!.on("data", onData);
            child.once("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`policy pack in ${path.relative(process.cwd(), dir) || "."} exited (${code}) before serving:\n${err.trim()}`));
            });
        });
        child.removeAllListeners("exit");
        // Keep draining stdout so the pack never blocks on a full pipe.
        child.stdout!.resume();
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
            "grpc.max_receive_message_length": MAX_MESSAGE,
            "grpc.max_send_message_length": MAX_MESSAGE,
        });
        return new PolicyPackProcess(child, client, () => err);
    }

    /** GetAnalyzerInfo: the pack's name, version, policies (levels, config schemas) and initial config. */
    async info(): Promise<AnalyzerInfo> {
        const res = await promisify<Empty, pb.AnalyzerInfo>(this.client, "getAnalyzerInfo", new Empty());
        return {
            name: res.getName(),
            version: res.getVersion(),
            policies: res.getPoliciesList().map((p) => {
                const schema = p.getConfigschema();
                return {
                    name: p.getName(),
                    description: p.getDescription(),
                    enforcementLevel: LEVEL_NAMES[p.getEnforcementlevel()],
                    severity: SEVERITIES[p.getSeverity()],
                    remediationSteps: p.getRemediationSteps(),
                    configSchema: schema
                        ? { properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, any>, required: schema.getRequiredList() }
                        : undefined,
                };
            }),
            initialConfig: configFromProto(res.getInitialconfigMap()),
        };
    }

    /** ConfigureStack: which stack and project is analysed, and whether this is a preview. */
    async configureStack(stack: string, project: string, dryRun = true): Promise<void> {
        const req = new pb.AnalyzerStackConfigureRequest();
        req.setStack(stack);
        req.setProject(project);
        req.setDryRun(dryRun);
        await promisify(this.client, "configureStack", req);
    }

    /** Configure: each policy's enforcement level and properties (already reconciled). */
    async configure(config: PackConfig): Promise<void> {
        const req = new pb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, entry] of Object.entries(config)) {
            const c = new pb.PolicyConfig();
            if (entry.enforcementLevel) c.setEnforcementlevel(LEVEL_NUMBERS[entry.enforcementLevel] as pb.EnforcementLevel);
            c.setProperties(toStruct(entry.properties));
            map.set(name, c);
        }
        await promisify(this.client, "configure", req);
    }

    /** Analyze, once per resource with its inputs, then AnalyzeStack with every resource's outputs. */
    async analyzeAll(resources: RegisteredResource[]): Promise<Diagnostic[]> {
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const perResource = await Promise.all(
            resources.map(async (r) => {
                const req = new pb.AnalyzeRequest();
                req.setType(r.type);
                req.setUrn(r.urn);
                req.setName(r.name);
                req.setProperties(toStruct(r.inputs));
                req.setOptions(optionsOf(r, r.parent));
                const provider = providerOf(r, byUrn);
                if (provider) req.setProvider(provider);
                const res = await promisify<pb.AnalyzeRequest, pb.AnalyzeResponse>(this.client, "analyze", req);
                return res.getDiagnosticsList().map((d) => toDiagnostic(d, r.urn));
            }),
        );
        const stackReq = new pb.AnalyzeStackRequest();
        stackReq.setResourcesList(
            resources.map((r) => {
                const a = new pb.AnalyzerResource();
                a.setType(r.type);
                a.setUrn(r.urn);
                a.setName(r.name);
                a.setProperties(toStruct(Object.keys(r.outputs).length > 0 ? r.outputs : r.inputs));
                a.setOptions(optionsOf(r, r.parent));
                a.setParent(r.parent);
                a.setDependenciesList(r.dependencies);
                const provider = providerOf(r, byUrn);
                if (provider) a.setProvider(provider);
                return a;
            }),
        );
        const stackRes = await promisify<pb.AnalyzeStackRequest, pb.AnalyzeResponse>(this.client, "analyzeStack", stackReq);
        return [...perResource.flat(), ...stackRes.getDiagnosticsList().map((d) => toDiagnostic(d, ""))];
    }

    /** Stops the pack process (the engine kills its analyzers the same way at the end of a run). */
    async close(): Promise<void> {
        this.client.close();
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        await new Promise<void>((resolve) => {
            this.child.once("exit", () => resolve());
            this.child.kill();
        });
    }

    /** What the pack wrote to stderr so far. */
    get log(): string {
        return this.stderr();
    }
}
