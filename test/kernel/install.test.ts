import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CLI, PYTHON, checkPrerequisites, removeDir } from './helpers';

const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });

describe('saliency-lab install / uninstall', () => {
  let prefix: string;
  beforeAll(() => {
    checkPrerequisites(['jupyter_client']);
    prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-install-'));
  });
  afterAll(() => removeDir(prefix));

  test('writes the kernelspec with absolute paths, and Jupyter finds it; uninstall removes it', () => {
    const r = cli(['install', '--prefix', prefix, '--python', PYTHON]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const dir = path.join(prefix, 'share', 'jupyter', 'kernels', 'saliency-lab');
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8')) as { argv: string[]; display_name: string; language: string };
    expect(spec.display_name).toBe('TypeScript (saliency-lab)');
    expect(spec.language).toBe('typescript');
    expect(spec.argv).toEqual([process.execPath, CLI, 'kernel', '{connection_file}']);
    expect(path.isAbsolute(spec.argv[0]) && path.isAbsolute(spec.argv[1])).toBe(true);
    for (const logo of ['logo-32x32.png', 'logo-64x64.png']) {
      expect(fs.readFileSync(path.join(dir, logo)).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    }
    const list = spawnSync(PYTHON, ['-c', 'from jupyter_client.kernelspec import KernelSpecManager as K; s = K().get_kernel_spec("saliency-lab"); print(s.display_name, s.resource_dir)'], {
      encoding: 'utf8',
      env: { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter') },
    });
    expect(list.stdout.trim()).toBe(`TypeScript (saliency-lab) ${dir}`);
    // The JavaScript kernel beside it.
    const jsDir = path.join(prefix, 'share', 'jupyter', 'kernels', 'saliency-lab-js');
    const js = JSON.parse(fs.readFileSync(path.join(jsDir, 'kernel.json'), 'utf8')) as typeof spec;
    expect([js.display_name, js.language, js.argv]).toEqual(['JavaScript (saliency-lab)', 'javascript', [process.execPath, CLI, 'kernel', '--js', '{connection_file}']]);
    expect(r.stdout).toContain(`installed kernelspec saliency-lab-js ("JavaScript (saliency-lab)") in ${jsDir}`);

    const u = cli(['uninstall', '--prefix', prefix, '--python', PYTHON]);
    expect(u.status).toBe(0);
    expect(u.stdout).toContain(`removed ${dir}`);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(jsDir)).toBe(false);
    expect(cli(['uninstall', '--prefix', prefix, '--python', PYTHON]).stdout).toContain('was not installed there');
  });

  test('--sys-prefix installs into the Python environment, --user into the user data folder', () => {
    const venv = path.join(prefix, 'venv');
    const v = spawnSync(PYTHON, ['-m', 'venv', '--without-pip', '--system-site-packages', venv], { encoding: 'utf8' });
    expect(v.stderr).toBe('');
    const py = path.join(venv, 'bin', 'python');
    expect(cli(['install', '--sys-prefix', '--python', py]).stdout).toContain(`in ${path.join(venv, 'share', 'jupyter', 'kernels', 'saliency-lab')}`);
    expect(fs.existsSync(path.join(venv, 'share', 'jupyter', 'kernels', 'saliency-lab', 'kernel.json'))).toBe(true);
    expect(cli(['uninstall', '--sys-prefix', '--python', py]).status).toBe(0);
    expect(fs.existsSync(path.join(venv, 'share', 'jupyter', 'kernels', 'saliency-lab'))).toBe(false);

    const home = path.join(prefix, 'home');
    fs.mkdirSync(home);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.XDG_DATA_HOME;
    delete env.JUPYTER_DATA_DIR;
    const r = cli(['install', '--python', PYTHON], env); // --user is the default
    expect(r.stdout).toContain(`in ${path.join(home, '.local', 'share', 'jupyter', 'kernels', 'saliency-lab')}`);
    expect(cli(['uninstall', '--user', '--python', PYTHON], env).stdout).toContain('removed');
  });

  test('finds the Python of the `jupyter` command on PATH', () => {
    const bin = path.join(prefix, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'jupyter'), `#!${PYTHON}\n# a console script\n`, { mode: 0o755 });
    const r = cli(['install', '--prefix', path.join(prefix, 'viapath')], { ...process.env, PATH: bin });
    expect(r.stderr).toBe('');
    expect(fs.existsSync(path.join(prefix, 'viapath', 'share', 'jupyter', 'kernels', 'saliency-lab', 'kernel.json'))).toBe(true);
  });

  test('says how to get Jupyter when it is missing', () => {
    const r = cli(['install', '--prefix', prefix], { ...process.env, PATH: path.join(prefix, 'empty-path') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^install: Jupyter \(jupyter_client\) not found; tried python3, python\. Install Jupyter/);
    const p = cli(['install', '--python', path.join(prefix, 'no-such-python')]);
    expect(p.status).toBe(1);
    expect(p.stderr).toContain('not found for --python');
  });

  test('rejects conflicting or unknown options', () => {
    expect(cli(['install', '--user', '--sys-prefix']).stderr).toContain('give only one of --user, --sys-prefix, --prefix');
    expect(cli(['install', '--frobnicate']).stderr).toContain('unknown option "--frobnicate"');
  });
});
