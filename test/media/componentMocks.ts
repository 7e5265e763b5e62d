// Builds MediaStorage alone under Pulumi's mocks: a stack run builds the whole platform (hundreds of
// resources), while a config variant of the media component only needs its own.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { mediaSchema } from "../../config/media";
import { MediaStorage, type MediaStorageArgs } from "../../components/media/mediaStorage";

export interface MockedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

export const MOCK_ZONE_ID = "zone-0123";

/** Registers a MediaStorage built from a media config section (raw, as in a stack file) and returns its resources. */
export async function mediaUnderMocks(
    media: Record<string, unknown>,
    opts: { preview?: boolean; args?: Partial<MediaStorageArgs> } = {},
): Promise<{ resources: MockedResource[]; component: MediaStorage }> {
    const resources: MockedResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                const state = args.type === "aws:iam/accessKey:AccessKey" ? { ...args.inputs, secret: "mock-secret" } : args.inputs;
                return { id: `${args.name}-id`, state };
            },
            call: (args) => (args.token === "cloudflare:index/getZone:getZone" ? { id: MOCK_ZONE_ID, zoneId: MOCK_ZONE_ID } : args.inputs),
        },
        "media-platform",
        "media-test",
        opts.preview ?? false,
    );
    // Built inside a root stack, as the engine runs a program, so that a stack transformation sees every
    // resource; each registration is done once its URN resolves.
    const constructed: pulumi.Resource[] = [];
    let component!: MediaStorage;
    await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((a) => {
            constructed.push(a.resource);
            return undefined;
        });
        const provider = new k8s.Provider("k8s", { renderYamlToDirectory: "unused" });
        component = new MediaStorage("media", {
            media: mediaSchema.parse(media),
            environment: "test",
            provider,
            namespace: "media-app",
            objectStore: { name: "media" },
            ...opts.args,
        });
        return {};
    });
    await Promise.all(constructed.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
    return { resources, component };
}

export const S3_MEDIA = {
    provider: "s3",
    region: "eu-west-1",
    hostname: "media.example.com",
    cdn: { provider: "cloudflare", zone: "example.com" },
};
