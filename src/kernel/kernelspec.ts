/**
 * Installs and removes the kernelspecs (`saliency-lab` for TypeScript, `saliency-lab-js` for JavaScript;
 * see ./languages) through Jupyter's own KernelSpecManager, run by the Python that has Jupyter. A spec
 * runs this package's CLI with the absolute path of the Node.js that installs it, so the kernel starts
 * the same way whatever PATH the notebook server has.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { deflateSync } from 'zlib';
import { KernelError } from './api';
import { KERNELS, type KernelFlavor } from './languages';
import { PACKAGE_ROOT } from './paths';

/** Where to install: Jupyter's user directory, the Python's sys.prefix, or a given prefix. */
export type InstallLocation = { kind: 'user' } | { kind: 'sys-prefix' } | { kind: 'prefix'; prefix: string };

export interface KernelSpecOptions {
  location: InstallLocation;
  /** The Python whose Jupyter to use; found from `jupyter` on PATH, then python3, then python. */
  python?: string;
}

/** The kernel.json contents. */
export function kernelJson(flavor: KernelFlavor = KERNELS.typescript, nodePath = process.execPath, cliPath = path.join(PACKAGE_ROOT, 'bin', 'saliency-lab.js')): Record<string, unknown> {
  return {
    argv: [nodePath, cliPath, 'kernel', ...flavor.kernelArgs, '{connection_file}'],
    display_name: flavor.displayName,
    language: flavor.language,
    interrupt_mode: 'signal',
    metadata: { debugger: false },
  };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** The logo: a saliency blob (a hot spot fading to blue) on a rounded square, as an RGBA PNG. */
export function logoPng(size: number): Buffer {
  const rows: Buffer[] = [];
  const r0 = size * 0.18;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const dx = Math.max(0, Math.abs(x + 0.5 - size / 2) - (size / 2 - r0));
      const dy = Math.max(0, Math.abs(y + 0.5 - size / 2) - (size / 2 - r0));
      const inside = Math.hypot(dx, dy) <= r0;
      const d = Math.hypot((x + 0.5) / size - 0.62, (y + 0.5) / size - 0.4);
      const heat = Math.exp(-(d * d) / 0.06);
      const o = 1 + x * 4;
      row[o] = Math.round(255 * Math.min(1, 1.6 * heat));
      row[o + 1] = Math.round(255 * Math.max(0, 1 - Math.abs(heat - 0.5) * 2) * 0.9);
      row[o + 2] = Math.round(255 * (1 - heat) * 0.8 + 30);
      row[o + 3] = inside ? 255 : 0;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes a kernelspec folder (kernel.json and logos) into a new temporary directory. */
export function writeKernelSpecDir(flavor: KernelFlavor = KERNELS.typescript): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saliency-lab-kernelspec-'));
  const spec = path.join(dir, flavor.kernelName);
  fs.mkdirSync(spec);
  fs.writeFileSync(path.join(spec, 'kernel.json'), `${JSON.stringify(kernelJson(flavor), null, 2)}\n`);
  fs.writeFileSync(path.join(spec, 'logo-32x32.png'), logoPng(32));
  fs.writeFileSync(path.join(spec, 'logo-64x64.png'), logoPng(64));
  return spec;
}

function hasJupyterClient(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import jupyter_client'], { stdio: 'ignore' });
  return r.status === 0;
}

/** The Python running the `jupyter` command on PATH, read from its first line, if it is a script. */
function pythonOfJupyterCommand(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, 'jupyter');
    try {
      const head = fs.readFileSync(file, 'utf8').slice(0, 200);
      const m = /^#!\s*(\S+)/.exec(head);
      if (m && !m[1].endsWith('/env')) return m[1];
    } catch {
      // not there, or not readable: try the next PATH entry
    }
  }
  return undefined;
}

/** The Python to use: the given one (which must have Jupyter), else the first that has it. */
export function findPython(where: string, python?: string): string {
  const how =
    'Install Jupyter (e.g. `pip install jupyterlab`, or on Debian/Ubuntu `apt-get install jupyter-server python3-jupyter-client`), ' +
    'or pass --python with the Python that has it.';
  if (python) {
    if (!hasJupyterClient(python)) throw new KernelError(where, `Jupyter (jupyter_client) not found for --python ${JSON.stringify(python)}. ${how}`);
    return python;
  }
  const candidates = [pythonOfJupyterCommand(), 'python3', 'python'].filter((p): p is string => Boolean(p));
  for (const c of candidates) if (hasJupyterClient(c)) return c;
  throw new KernelError(where, `Jupyter (jupyter_client) not found; tried ${candidates.join(', ')}. ${how}`);
}

function runPython(where: string, python: string, script: string, args: string[]): string {
  const r = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8' });
  if (r.error) throw new KernelError(where, `cannot run ${python}: ${r.error.message}`);
  if (r.status !== 0) throw new KernelError(where, `${python} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

const LOCATION_ARGS = `
import sys
kind, prefix = sys.argv[1], sys.argv[2]
kw = {}
if kind == 'user': kw['user'] = True
elif kind == 'sys-prefix': kw['prefix'] = sys.prefix
else: kw['prefix'] = prefix
`;

/** Installs a kernelspec; returns the folder it was installed to. */
export function installKernelSpec(options: KernelSpecOptions, flavor: KernelFlavor = KERNELS.typescript): string {
  const python = findPython('install', options.python);
  const src = writeKernelSpecDir(flavor);
  try {
    const { kind } = options.location;
    const prefix = options.location.kind === 'prefix' ? path.resolve(options.location.prefix) : '';
    const script = `${LOCATION_ARGS}
from jupyter_client.kernelspec import KernelSpecManager
print(KernelSpecManager().install_kernel_spec(sys.argv[3], '${flavor.kernelName}', replace=True, **kw))
`;
    return runPython('install', python, script, [kind, prefix, src]);
  } finally {
    fs.rmSync(path.dirname(src), { recursive: true, force: true });
  }
}

/** Removes a kernelspec from the given location; returns the folder removed, or null if none was there. */
export function uninstallKernelSpec(options: KernelSpecOptions, flavor: KernelFlavor = KERNELS.typescript): string | null {
  const python = findPython('uninstall', options.python);
  const { kind } = options.location;
  const prefix = options.location.kind === 'prefix' ? path.resolve(options.location.prefix) : '';
  const script = `${LOCATION_ARGS}
import os, shutil
from jupyter_core.paths import jupyter_data_dir
base = jupyter_data_dir() if kind == 'user' else os.path.join(kw['prefix'], 'share', 'jupyter')
d = os.path.join(base, 'kernels', '${flavor.kernelName}')
if os.path.isdir(d):
    shutil.rmtree(d)
    print(d)
`;
  const out = runPython('uninstall', python, script, [kind, prefix]);
  return out === '' ? null : out;
}

/** Parses `[--user | --sys-prefix | --prefix P] [--python P]`. */
export function parseInstallArgs(where: string, args: string[]): KernelSpecOptions {
  let location: InstallLocation | undefined;
  let python: string | undefined;
  const setLocation = (l: InstallLocation) => {
    if (location) throw new KernelError(where, 'give only one of --user, --sys-prefix, --prefix');
    location = l;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (name: string): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new KernelError(where, `${name} needs a value`);
      return v;
    };
    if (a === '--user') setLocation({ kind: 'user' });
    else if (a === '--sys-prefix') setLocation({ kind: 'sys-prefix' });
    else if (a === '--prefix' || a.startsWith('--prefix=')) setLocation({ kind: 'prefix', prefix: value('--prefix') });
    else if (a === '--python' || a.startsWith('--python=')) python = value('--python');
    else throw new KernelError(where, `unknown option ${JSON.stringify(a)}; options: --user, --sys-prefix, --prefix P, --python P`);
  }
  return { location: location ?? { kind: 'user' }, python };
}
