/**
 * The `saliency-lab` command. Each subcommand is a small module under src/cli/commands that exports
 * `{ summary, usage, run(args) }`; `run` returns the process exit code.
 */
export interface Command {
  summary: string;
  /** The `--help` text; a function when it depends on the arguments (explain lists the chosen method's flags). */
  usage: string | ((args: string[]) => string);
  run(args: string[]): Promise<number>;
}

/** Subcommands by name, loaded lazily so that `saliency-lab kernel` does not load tfjs models it won't use. */
const COMMANDS: Record<string, () => Command> = {
  demo: () => require('./commands/demo').command,
  explain: () => require('./commands/explain').command,
  backend: () => require('./commands/backend').command,
  train: () => require('./commands/train').command,
  kernel: () => require('./commands/kernel').command,
  install: () => require('./commands/install').command,
  uninstall: () => require('./commands/uninstall').command,
};

export function usage(): string {
  const lines = ['usage: saliency-lab <command> [options]', '', 'commands:'];
  for (const [name, get] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${get().summary}`);
  lines.push('', 'Run `saliency-lab <command> --help` for a command\'s options.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const get = COMMANDS[name];
  if (!get) {
    console.error(`saliency-lab: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  const command = get();
  if (args.includes('--help') || args.includes('-h')) {
    console.log(typeof command.usage === 'function' ? command.usage(args) : command.usage);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (e) {
    // A mistake on the command line exits with 2 and points at the help; other errors with 1.
    const usageMistake = (e as Error).name === 'UsageError';
    console.error((e as Error).message);
    if (usageMistake) console.error(`Run \`saliency-lab ${name} --help\` for the options.`);
    return usageMistake ? 2 : 1;
  }
}
