#!/usr/bin/env node
// The operator command as the package's bin: `npx platform <command> …`. TypeScript runs through tsx, as in
// `npm run platform`; nothing is printed before the command's own output, so --json output stays clean.
"use strict";
require("tsx/cjs/api").register();
require("../cli/main.ts").runAndExit(process.argv.slice(2));
