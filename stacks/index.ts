// Pulumi entry point for the official CLI (`pulumi up` from Pulumi.yaml). `platform up` runs the same program inline.
import { runProgram } from "./program";

export = runProgram();
