import type { Command } from '../main';
import { KERNEL_NAME, parseInstallArgs, uninstallKernelSpec } from '../../kernel/kernelspec';

/** `saliency-lab uninstall`: removes the kernelspec that `install` wrote at the same location. */
export const command: Command = {
  summary: 'remove the Jupyter kernel installed by `install`',
  usage: [
    'usage: saliency-lab uninstall [--user | --sys-prefix | --prefix PREFIX] [--python PYTHON]',
    '',
    `Removes the kernelspec "${KERNEL_NAME}" from the location given as to \`install\` (default --user).`,
  ].join('\n'),
  async run(args) {
    const dir = uninstallKernelSpec(parseInstallArgs('uninstall', args));
    console.log(dir ? `removed ${dir}` : `kernelspec ${KERNEL_NAME} was not installed there`);
    return 0;
  },
};
