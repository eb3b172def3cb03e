/**
 * binder/postBuild, run as Binder runs it (everything but conda): on a copy of this working tree (tracked
 * and untracked files, no node_modules, no dist), with an environment standing in for Binder's conda
 * environment: a Python venv over Debian's Jupyter (`--system-site-packages`) with a `jupyter` command
 * in its bin/, as pip installs one, so that `saliency-lab install --sys-prefix` finds it. Then this
 * environment's Jupyter must list the kernelspec (and nothing outside the environment may count), a cell
 * must run on the kernel, and when the package has a built JupyterLab extension it must be in the
 * environment's labextensions folder.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const DEBIAN_PYTHON = '/usr/bin/python3';

let tmp: string;
let repo: string;
let env: string;
let jupyterEnv: NodeJS.ProcessEnv;
let log = '';
let code = -1;

function copyWorkingTree(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter(Boolean);
  for (const f of files) {
    const from = path.join(ROOT, f);
    if (!fs.existsSync(from)) continue; // deleted but not yet committed
    fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    fs.copyFileSync(from, path.join(to, f));
    fs.chmodSync(path.join(to, f), fs.statSync(from).mode);
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'binder-'));
  repo = path.join(tmp, 'repo');
  env = path.join(tmp, 'env');
  copyWorkingTree(repo);
  expect(fs.existsSync(path.join(repo, 'node_modules'))).toBe(false);
  execFileSync(DEBIAN_PYTHON, ['-m', 'venv', '--without-pip', '--system-site-packages', env]);
  fs.writeFileSync(path.join(env, 'bin', 'jupyter'), `#!${path.join(env, 'bin', 'python')}\nimport sys\nfrom jupyter_core.command import main\nsys.exit(main())\n`, { mode: 0o755 });
  // Binder's build has none of the npm_* variables that `npm test` sets for its children.
  const outside = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  jupyterEnv = {
    ...outside,
    PATH: `${path.join(env, 'bin')}${path.delimiter}${process.env.PATH}`,
    // Only the environment counts: no per-user Jupyter folder, no JUPYTER_PATH from outside.
    JUPYTER_DATA_DIR: path.join(tmp, 'user-data'),
    JUPYTER_CONFIG_DIR: path.join(tmp, 'user-config'),
    JUPYTER_PATH: '',
    // Use what the npm cache already holds (CI has just run `npm ci` on the same lockfile).
    npm_config_prefer_offline: 'true',
  };
  delete jupyterEnv.SALIENCY_BACKEND;
  const child = spawn('bash', ['binder/postBuild'], { cwd: repo, env: jupyterEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (b) => (log += b));
  child.stderr.on('data', (b) => (log += b));
  code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
}, 900_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('postBuild succeeds: installs, builds, installs the kernelspec, tries tfjs-node and reports the backend', () => {
  expect({ code, log: code === 0 ? '' : log.slice(-4000) }).toEqual({ code: 0, log: '' });
  expect(fs.existsSync(path.join(repo, 'dist', 'index.js'))).toBe(true);
  expect(log).not.toContain('npm ci did not build dist/'); // the prepare script built it
  expect(log).toMatch(/installed kernelspec saliency-lab \("TypeScript \(saliency-lab\)"\) in /);
  // tfjs-node either installed or said why not; either way the backend line is printed.
  expect(log).toMatch(/postBuild: @tensorflow\/tfjs-node (installed|could not be installed or does not load here; saliency-lab will use its wasm backend)/);
  expect(log).toMatch(/^backend: (node|wasm) /m);
  console.log(`binder postBuild:\n${log.split('\n').filter((l) => /^(postBuild:|backend:|  skipped)/.test(l)).join('\n')}`);
});

test("the environment's Jupyter lists the kernelspec, from the environment's own folder", () => {
  const out = execFileSync(path.join(env, 'bin', 'python'), ['-m', 'jupyter_client.kernelspecapp', 'list', '--json'], { env: jupyterEnv, encoding: 'utf8' });
  const specs = JSON.parse(out).kernelspecs as Record<string, { resource_dir: string; spec: { argv: string[]; display_name: string } }>;
  expect(Object.keys(specs)).toContain('saliency-lab');
  const spec = specs['saliency-lab'];
  expect(spec.resource_dir).toBe(path.join(env, 'share', 'jupyter', 'kernels', 'saliency-lab'));
  expect(spec.spec.display_name).toBe('TypeScript (saliency-lab)');
  // The kernel runs this copy's command with an absolute Node.
  expect(spec.spec.argv.some((a) => a.startsWith(repo))).toBe(true);
  // The plain `jupyter kernelspec list` through the environment's jupyter command, where jupyter-client provides it.
  const plain = spawnSync(path.join(env, 'bin', 'jupyter'), ['kernelspec', 'list'], { env: jupyterEnv, encoding: 'utf8' });
  if (plain.status === 0) expect(plain.stdout).toContain(path.join(env, 'share', 'jupyter', 'kernels', 'saliency-lab'));
  else expect(plain.stderr).toMatch(/jupyter-kernelspec/); // Debian ships the app as a module only
});

test('a cell runs on the installed kernel', () => {
  const script = [
    'from jupyter_client.manager import start_new_kernel',
    "km, kc = start_new_kernel(kernel_name='saliency-lab', startup_timeout=120)",
    'out = []',
    "kc.execute_interactive('const n: number = 6 * 7; n', timeout=120, output_hook=lambda m: out.append(m))",
    "print([m['content']['data']['text/plain'] for m in out if m['msg_type'] == 'execute_result'])",
    'kc.stop_channels(); km.shutdown_kernel(now=True)',
  ].join('\n');
  const r = spawnSync(path.join(env, 'bin', 'python'), ['-c', script], { env: jupyterEnv, encoding: 'utf8', timeout: 240_000 });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  expect(r.stdout.trim()).toBe("['42']");
}, 300_000);

test('the JupyterLab extension is in the environment when the package has a built one', () => {
  const built = path.join(repo, 'dist', 'labextension', 'package.json');
  const installed = path.join(env, 'share', 'jupyter', 'labextensions', 'saliency-lab', 'package.json');
  if (fs.existsSync(built)) {
    expect(fs.existsSync(installed)).toBe(true);
    expect(fs.readFileSync(installed, 'utf8')).toBe(fs.readFileSync(built, 'utf8'));
  } else {
    // Said out loud rather than skipped: this branch builds no extension yet, so there is nothing to install.
    console.log('binder: the package has no built JupyterLab extension (dist/labextension); only the kernelspec is checked');
    expect(fs.existsSync(installed)).toBe(false);
  }
});
