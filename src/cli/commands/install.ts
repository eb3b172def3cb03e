import type { Command } from '../main';
import { KERNELS, type KernelFlavor } from '../../kernel/languages';
import { installKernelSpec, parseInstallArgs, uninstallKernelSpec, type KernelSpecOptions } from '../../kernel/kernelspec';
import { installLabExtension, uninstallLabExtension } from '../../widgets/install';

/**
 * One thing `saliency-lab install` puts where Jupyter finds it (at the location the options give);
 * `saliency-lab uninstall` removes each. Steps run in order; the first failure stops the command.
 */
export interface InstallStep {
  /** What it installs, for the command's report and help. */
  what: string;
  /** Installs; returns the line the command prints. */
  install(options: KernelSpecOptions): string;
  /** Removes; returns the line the command prints. */
  uninstall(options: KernelSpecOptions): string;
}

function kernelSpecStep(flavor: KernelFlavor): InstallStep {
  const what = `kernelspec ${flavor.kernelName} ("${flavor.displayName}")`;
  return {
    what,
    install: (options) => `installed ${what} in ${installKernelSpec(options, flavor)}`,
    uninstall: (options) => {
      const dir = uninstallKernelSpec(options, flavor);
      return dir ? `removed ${dir}` : `kernelspec ${flavor.kernelName} was not installed there`;
    },
  };
}

/** The widgets' prebuilt JupyterLab 4 / Notebook 7 extension, in `<data dir>/labextensions`. */
const labExtensionStep: InstallStep = {
  what: "the widgets' JupyterLab 4 / Notebook 7 extension",
  install: (options) => `installed the widgets' JupyterLab extension in ${installLabExtension(options)}`,
  uninstall: (options) => {
    const dir = uninstallLabExtension(options);
    return dir ? `removed ${dir}` : "the widgets' JupyterLab extension was not installed there";
  },
};

/** Everything `install` installs, in order. */
export const INSTALL_STEPS: InstallStep[] = [kernelSpecStep(KERNELS.typescript), kernelSpecStep(KERNELS.javascript), labExtensionStep];

/** `saliency-lab install`: the kernelspecs where Jupyter finds them. */
export const command: Command = {
  summary: `install the Jupyter kernels "${KERNELS.typescript.displayName}" and "${KERNELS.javascript.displayName}"`,
  usage: [
    'usage: saliency-lab install [--user | --sys-prefix | --prefix PREFIX] [--python PYTHON]',
    '',
    'Installs, for Jupyter:',
    ...INSTALL_STEPS.map((s) => `  ${s.what}`),
    'The kernels run this saliency-lab with the absolute path of the Node.js running this command.',
    '  --user          in Jupyter\'s per-user data folder (the default)',
    '  --sys-prefix    in PYTHON\'s sys.prefix (a virtualenv or conda environment, e.g. on Binder)',
    '  --prefix P      in P/share/jupyter (then set JUPYTER_PATH=P/share/jupyter if P is not standard)',
    '  --python P      the Python that has Jupyter; default: the one of `jupyter` on PATH, then python3, python',
  ].join('\n'),
  async run(args) {
    const options = parseInstallArgs('install', args);
    for (const step of INSTALL_STEPS) console.log(step.install(options));
    return 0;
  },
};
