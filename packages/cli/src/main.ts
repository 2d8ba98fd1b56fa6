#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, oneLine, reportError } from './errors';
import { commands } from './commands';

/** Build the `igpg` program. Each subcommand lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('igpg')
    .description('Instruction-guided neural network parameter generation (IGPG) on TensorFlow.js')
    .option('--backend <name>', 'force a compute backend: tfjs-node-gpu, tfjs-node, wasm or cpu (env IGPG_BACKEND)')
    .option('--threads <n>', 'wasm threads (default: all cores)')
    .option('--verbose', 'show stack traces and debug output')
    .exitOverride();
  // commander's own errors as one line too (its "Did you mean" hint sits on a second line otherwise)
  program.configureOutput({ outputError: (s, write) => write(`igpg: error: ${oneLine(s.replace(/^error: /, ''))} (run with --help for usage)\n`) });
  for (const register of commands) register(program);
  return program;
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride too, with exit code 0.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return reportError(err, Boolean(program.opts().verbose) || process.argv.includes('--verbose'));
  }
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = reportError(err, true);
    },
  );
}
