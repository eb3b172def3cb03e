/**
 * Helpers for the kernel tests: they drive the built kernel (dist/, `npm test` builds first) through
 * Debian's Jupyter (`bash scripts/setup-system.sh`), with Python helper scripts in test/kernel/py.
 */
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'saliency-lab.js');
/** Debian's Python, which has the Jupyter packages; the python3 first on PATH may not. */
export const PYTHON = process.env.SALIENCY_TEST_PYTHON ?? '/usr/bin/python3';

/** Fails (never skips) with what to do when the built kernel or Jupyter is missing. */
export function checkPrerequisites(modules: string[]): void {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'kernel', 'server.js'))) {
    throw new Error('dist/kernel/server.js is missing: run `npm run build` (npm test does)');
  }
  const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${PYTHON} lacks ${modules.join(', ')}: run \`bash scripts/setup-system.sh\` as root\n${r.stderr ?? r.error}`);
  }
}

export interface KernelSpec {
  prefix: string;
  env: NodeJS.ProcessEnv;
}

/** Installs the kernelspec with `saliency-lab install --prefix` into a temporary folder; returns env for Jupyter. */
export function installKernelSpec(): KernelSpec {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-kernel-test-'));
  const r = spawnSync(process.execPath, [CLI, 'install', '--prefix', prefix, '--python', PYTHON], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`saliency-lab install failed: ${r.stderr}${r.stdout}`);
  return { prefix, env: { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter'), KERNEL_CWD: ROOT, PYTHONDONTWRITEBYTECODE: '1' } };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a helper script from test/kernel/py with Debian's Python; kills it after `timeoutMs`. */
export function runPython(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(__dirname, 'py', script), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The `RESULT tests=N failures=F errors=E skipped=S` line the unittest scripts print. */
export function unittestSummary(r: RunResult): { tests: number; failures: number; errors: number; skipped: number } | null {
  const m = /RESULT tests=(\d+) failures=(\d+) errors=(\d+) skipped=(\d+)/.exec(r.stdout);
  return m ? { tests: +m[1], failures: +m[2], errors: +m[3], skipped: +m[4] } : null;
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A kernelspec for the tests of one describe block: checks the Python modules and installs it before
 * them, removes it after. The returned function gives the spec inside the tests.
 */
export function useKernelSpec(modules: string[]): () => KernelSpec {
  let spec: KernelSpec | undefined;
  beforeAll(() => {
    checkPrerequisites(modules);
    spec = installKernelSpec();
  });
  afterAll(() => spec && removeDir(spec.prefix));
  return () => {
    if (!spec) throw new Error('the kernelspec is not installed (beforeAll failed)');
    return spec;
  };
}

/** Runs a unittest script of test/kernel/py and expects exactly `tests` tests, none failed or skipped. */
export async function expectUnittestScript(script: string, spec: KernelSpec, tests: number): Promise<void> {
  const r = await runPython(script, [], spec.env, 150_000);
  const summary = unittestSummary(r);
  if (r.code !== 0 || !summary) console.log(r.stderr.slice(-8000));
  expect(summary).toEqual({ tests, failures: 0, errors: 0, skipped: 0 });
  expect(r.code).toBe(0);
}
