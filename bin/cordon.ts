#!/usr/bin/env -S npx tsx
import { runCli } from '../lib/cli/program';

void runCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
