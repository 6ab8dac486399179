#!/usr/bin/env node
import { runCli } from './cli.js';
import { consoleOutput } from './output.js';

process.exitCode = await runCli(process.argv.slice(2), process.env, consoleOutput);
