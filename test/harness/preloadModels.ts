// Mutation runs only (stryker.config.json): the mutated model modules load with each test file, before its
// tests. A stack run requires the program inside its test, and the models' module-level code would otherwise
// count as covered by that one test alone, which then is all Stryker runs against those mutants.
import * as fs from "node:fs";
import * as path from "node:path";

for (const f of fs.readdirSync(path.join(__dirname, "../../capacity"))) if (f.endsWith(".ts")) require(`../../capacity/${f}`);
require("../../config/model");
