// Pulumi entry point. A config error ends the run with its list of problems and no stack trace.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../config/errors";
import { main } from "./program";

function run() {
    try {
        return main();
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

export = run();
