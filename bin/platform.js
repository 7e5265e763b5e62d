#!/usr/bin/env node
// The operator command as the package's bin: `npx platform <command> …` (and `npm run platform`). TypeScript runs
// through tsx; nothing is printed on stdout before the command's own output, so --json output stays clean.
"use strict";
require("tsx/cjs/api").register();
// Loading the commands loads the Pulumi SDKs and the stack program (seconds, synchronously): say so on stderr
// past two seconds, like any other wait.
const { StatusLine } = require("../cli/terminal.ts");
const loading = new StatusLine("platform: loading the Pulumi SDK and the stack program");
const { runAndExit } = require("../cli/main.ts");
loading.stop();
runAndExit(process.argv.slice(2));
