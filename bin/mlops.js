#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'server', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('mlops: the CLI is not built yet. Run "npm run build" in the MLOps Workbench folder first.\n');
  process.exit(2);
}
const { runCli } = require(cli);
runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY === true,
}).then(
  (code) => (process.exitCode = code),
  (error) => {
    process.stderr.write(`mlops: internal error: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 3;
  },
);
