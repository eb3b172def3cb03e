/**
 * `saliency-lab install` puts the widgets' prebuilt JupyterLab extension where JupyterLab 4 and
 * Notebook 7 look (`<data dir>/labextensions/saliency-lab`), beside the kernelspec. Needs the build.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, PYTHON, checkPrerequisites } from '../kernel/helpers';

const root = path.join(__dirname, '..', '..');

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
}

describe('install: the widgets extension', () => {
  let prefix: string;
  beforeAll(() => {
    checkPrerequisites(['jupyter_core']);
    prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-labext-'));
  });
  afterAll(() => fs.rmSync(prefix, { recursive: true, force: true }));

  test('--prefix: in P/share/jupyter/labextensions, found by Jupyter through JUPYTER_PATH; uninstall removes it', () => {
    const r = cli(['install', '--prefix', prefix, '--python', PYTHON]);
    expect(r.stderr).toBe('');
    const ext = path.join(prefix, 'share', 'jupyter', 'labextensions', 'saliency-lab');
    expect(r.stdout).toContain(`installed the widgets' JupyterLab extension in ${ext}`);
    const pkg = JSON.parse(fs.readFileSync(path.join(ext, 'package.json'), 'utf8'));
    const own = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect([pkg.name, pkg.version]).toEqual([own.name, own.version]);
    expect(fs.existsSync(path.join(ext, pkg.jupyterlab._build.load))).toBe(true);
    expect(pkg.jupyterlab._build.extension).toBe('./extension');
    const seen = spawnSync(PYTHON, ['-c', "from jupyter_core.paths import jupyter_path; print('\\n'.join(jupyter_path('labextensions')))"], {
      encoding: 'utf8', env: { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter') },
    });
    expect(seen.stdout.split('\n')).toContain(path.dirname(ext));
    expect(cli(['uninstall', '--prefix', prefix, '--python', PYTHON]).stdout).toContain(`removed ${ext}`);
    expect(fs.existsSync(ext)).toBe(false);
  });

  test('--user: in the user data folder', () => {
    const home = path.join(prefix, 'home');
    fs.mkdirSync(home);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.XDG_DATA_HOME;
    delete env.JUPYTER_DATA_DIR;
    const r = cli(['install', '--python', PYTHON], env);
    const ext = path.join(home, '.local', 'share', 'jupyter', 'labextensions', 'saliency-lab');
    expect(r.stdout).toContain(ext);
    expect(fs.existsSync(path.join(ext, 'package.json'))).toBe(true);
    cli(['uninstall', '--python', PYTHON], env);
    expect(fs.existsSync(ext)).toBe(false);
  });
});
