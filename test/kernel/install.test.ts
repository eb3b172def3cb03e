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

    const u = cli(['uninstall', '--prefix', prefix, '--python', PYTHON]);
    expect(u.status).toBe(0);
    expect(u.stdout).toContain(`removed ${dir}`);
    expect(fs.existsSync(dir)).toBe(false);
    expect(cli(['uninstall', '--prefix', prefix, '--python', PYTHON]).stdout).toContain('was not installed there');
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
