// The program behind `pulumi up`: read and validate the stack's config, then build the platform.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../config/errors";
import { fromPulumiStrings, parsePlatformConfig, projectSections, PROJECT_ROOT } from "../config/load";
import type { PlatformConfig } from "../config/schema";
import { buildPlatform, platformInput, type PlatformInput, type PlatformOutputs } from "./platform";

/** The stack's config as the Pulumi runtime hands it over, validated (throws ConfigError). */
export function loadPulumiConfig(): PlatformConfig {
    return parsePlatformConfig(projectSections(fromPulumiStrings(pulumi.runtime.allConfig())), `stack ${pulumi.getStack()}`);
}

const context = () => ({ stack: pulumi.getStack(), projectRoot: PROJECT_ROOT });

/** Everything the stack's input decides, validated before any resource exists (throws ConfigError). */
export function loadInput(): PlatformInput {
    return platformInput(loadPulumiConfig(), context());
}

/** The platform from validated input (by default, the stack's own). */
export function main(input: PlatformInput = loadInput()): PlatformOutputs {
    return buildPlatform(input, context());
}

/** The program as the engine runs it (inline or from stacks/index.ts): a config error ends it with its list of problems, no stack trace. */
export async function runProgram(): Promise<PlatformOutputs> {
    try {
        return main();
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
