/**
 * Installs the built JupyterLab 4 extension (dist/labextension) where JupyterLab 4 and Notebook 7 look
 * for prebuilt extensions: `<data dir>/labextensions/<package name>`, with the data dir of the same
 * location as the kernelspec (`--user`: Jupyter's user data dir; `--sys-prefix`: the Python's
 * sys.prefix/share/jupyter; `--prefix P`: P/share/jupyter). No JupyterLab is needed to install it.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { KernelError } from '../kernel/api';
import { findPython, type KernelSpecOptions } from '../kernel/kernelspec';
import { PACKAGE_ROOT } from '../kernel/paths';

/** The built extension in this package. */
export const LABEXTENSION_DIR = path.join(PACKAGE_ROOT, 'dist', 'labextension');

/** The Jupyter data folder of an install location. */
function dataDir(where: string, options: KernelSpecOptions): string {
  const loc = options.location;
  if (loc.kind === 'prefix') return path.join(path.resolve(loc.prefix), 'share', 'jupyter');
  const python = findPython(where, options.python);
  const script = loc.kind === 'user'
    ? 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())'
    : "import sys, os; print(os.path.join(sys.prefix, 'share', 'jupyter'))";
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new KernelError(where, `${python} failed: ${(r.stderr || String(r.error)).trim()}`);
  return r.stdout.trim();
}

function extensionName(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(LABEXTENSION_DIR, 'package.json'), 'utf8')) as { name: string };
  return pkg.name;
}

/** Copies the extension into `<data dir>/labextensions/<name>` (replacing an older copy); returns that folder. */
export function installLabExtension(options: KernelSpecOptions): string {
  const where = 'install';
  if (!fs.existsSync(path.join(LABEXTENSION_DIR, 'package.json'))) {
    throw new KernelError(where, `the widget extension is not built (${LABEXTENSION_DIR} is missing): run \`npm run build\``);
  }
  const target = path.join(dataDir(where, options), 'labextensions', extensionName());
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.cpSync(LABEXTENSION_DIR, target, { recursive: true });
  return target;
}

/** Removes the extension from a location; returns the folder removed, or null if none was there. */
export function uninstallLabExtension(options: KernelSpecOptions): string | null {
  const pkg = path.join(LABEXTENSION_DIR, 'package.json');
  const name = fs.existsSync(pkg) ? extensionName() : 'saliency-lab';
  const target = path.join(dataDir('uninstall', options), 'labextensions', name);
  if (!fs.existsSync(target)) return null;
  fs.rmSync(target, { recursive: true, force: true });
  return target;
}
