import type { Command } from '../main';
import { parseInstallArgs } from '../../kernel/kernelspec';
import { INSTALL_STEPS } from './install';

/** `saliency-lab uninstall`: removes what `install` put at the same location. */
export const command: Command = {
  summary: 'remove the Jupyter kernels installed by `install`',
  usage: [
    'usage: saliency-lab uninstall [--user | --sys-prefix | --prefix PREFIX] [--python PYTHON]',
    '',
    'Removes, from the location given as to `install` (default --user):',
    ...INSTALL_STEPS.map((s) => `  ${s.what}`),
  ].join('\n'),
  async run(args) {
    const options = parseInstallArgs('uninstall', args);
    for (const step of INSTALL_STEPS) console.log(step.uninstall(options));
    return 0;
  },
};
