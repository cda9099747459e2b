#!/usr/bin/env node
// The `mta-sts` command's entry point: runs the program and turns every failure into one line on
// stderr and a documented exit code, never a stack trace (MTA_STS_DEBUG=1 shows it).
import { createProgram } from './commands';
import { explain } from './commands/output';

createProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const { message, exitCode } = explain(err);
    if (message !== '') process.stderr.write(`mta-sts: ${message}\n`);
    if (process.env.MTA_STS_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = exitCode;
  });
