import type { Command } from '../main';

/** `saliency-lab kernel CONNECTION_FILE`: the Jupyter kernel process (Jupyter starts it from the kernelspec). */
export const command: Command = {
  summary: 'run the TypeScript Jupyter kernel (started by Jupyter)',
  usage: [
    'usage: saliency-lab kernel CONNECTION_FILE',
    '',
    'Runs the saliency-lab Jupyter kernel on the ports and key of CONNECTION_FILE. Jupyter starts it through',
    'the kernelspec that `saliency-lab install` writes; there is no need to run it by hand.',
  ].join('\n'),
  async run(args) {
    if (args.length !== 1) {
      console.error(this.usage);
      return 2;
    }
    const { runKernel } = require('../../kernel/server') as typeof import('../../kernel/server');
    const code = await runKernel(args[0]);
    // Timers or watchers left by notebook code must not keep a shut-down kernel alive.
    process.exit(code);
  },
};
