import type { Command } from '../main';
import { KERNELS, kernelFromArgs } from '../../kernel/languages';

/** `saliency-lab kernel [--js] CONNECTION_FILE`: the Jupyter kernel process (Jupyter starts it from the kernelspec). */
export const command: Command = {
  summary: 'run the TypeScript (or with --js the JavaScript) Jupyter kernel (started by Jupyter)',
  usage: [
    'usage: saliency-lab kernel [--js] CONNECTION_FILE',
    '',
    'Runs the saliency-lab Jupyter kernel on the ports and key of CONNECTION_FILE. Jupyter starts it through',
    'the kernelspecs that `saliency-lab install` writes; there is no need to run it by hand.',
    `  --js    the JavaScript kernel ("${KERNELS.javascript.displayName}"); default: TypeScript`,
  ].join('\n'),
  async run(args) {
    const flavor = kernelFromArgs(args.slice(0, -1));
    if (args.length === 0 || !flavor) {
      console.error(this.usage);
      return 2;
    }
    const { runKernel } = require('../../kernel/server') as typeof import('../../kernel/server');
    const code = await runKernel(args[args.length - 1], flavor);
    // Timers or watchers left by notebook code must not keep a shut-down kernel alive.
    process.exit(code);
  },
};
