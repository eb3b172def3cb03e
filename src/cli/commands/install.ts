import type { Command } from '../main';
import { DISPLAY_NAME, KERNEL_NAME, installKernelSpec, parseInstallArgs } from '../../kernel/kernelspec';

/** `saliency-lab install`: the kernelspec where Jupyter finds it. */
export const command: Command = {
  summary: `install the Jupyter kernel "${DISPLAY_NAME}"`,
  usage: [
    'usage: saliency-lab install [--user | --sys-prefix | --prefix PREFIX] [--python PYTHON]',
    '',
    `Installs the kernelspec "${KERNEL_NAME}" (display name "${DISPLAY_NAME}"), which runs this saliency-lab`,
    'with the absolute path of the Node.js running this command.',
    '  --user          in Jupyter\'s per-user data folder (the default)',
    '  --sys-prefix    in PYTHON\'s sys.prefix (a virtualenv or conda environment, e.g. on Binder)',
    '  --prefix P      in P/share/jupyter/kernels (then set JUPYTER_PATH=P/share/jupyter if P is not standard)',
    '  --python P      the Python that has Jupyter; default: the one of `jupyter` on PATH, then python3, python',
  ].join('\n'),
  async run(args) {
    const dir = installKernelSpec(parseInstallArgs('install', args));
    console.log(`installed kernelspec ${KERNEL_NAME} ("${DISPLAY_NAME}") in ${dir}`);
    return 0;
  },
};
