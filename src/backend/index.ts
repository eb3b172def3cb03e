/**
 * Chooses the TensorFlow.js backend. Preference order: `@tensorflow/tfjs-node-gpu` (CUDA), then `webgpu`
 * (`@tensorflow/tfjs-backend-webgpu` on Dawn from the npm package `webgpu`, when Dawn finds a hardware
 * adapter; see webgpu.ts), then `@tensorflow/tfjs-node` (native CPU), then `@tensorflow/tfjs-backend-wasm`
 * (SIMD WebAssembly), then the pure-JS `cpu` backend. The native and WebGPU packages are optional peer
 * dependencies: install them beside saliency-lab and they are picked up at run time.
 *
 * The environment variable `SALIENCY_BACKEND` (one of BACKENDS) overrides the choice; an unknown name is a
 * BackendError that lists the choices, and a named backend that cannot load is an error too, never a
 * silent fallback. Naming `webgpu` also accepts a software adapter (lavapipe, SwiftShader).
 */
import fs from 'fs';
import path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors';
import { PACKAGE_ROOT } from '../kernel/paths';
import { poolStatus, type PoolDecision } from '../pool';
import {
  AdapterSummary, instrumentBackend, prepareWebGPU, readBackWebGPUTensors, requireDawn, watchDevice, webgpuInstallHint, WEBGPU_PACKAGES,
} from './webgpu';

export type { AdapterSummary } from './webgpu';

export const BACKENDS = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What is in use, as `backendInfo()` reports it. */
export interface BackendInfo {
  /** Our name for it: one of BACKENDS. */
  name: BackendName;
  /** The name tfjs registers it under (`tensorflow` for both native packages). */
  tfBackend: string;
  /** The npm package that provides it. */
  package: string;
  /** How it was chosen. */
  chosenBy: 'SALIENCY_BACKEND' | 'setBackend' | 'auto';
  /** Backends tried before it that could not load, with the reason. */
  skipped: { name: BackendName; reason: string }[];
  /** webgpu only: the adapter in use. */
  adapter?: AdapterSummary;
  /**
   * The last batched run's use of worker threads (see ../pool): how many it used, or why it ran in
   * process. Absent before any batched run.
   */
  pool?: PoolDecision;
  /** Set when the backend stopped working (webgpu: the device was lost); the next `ready()` chooses again. */
  lost?: string;
}

const PACKAGES: Record<BackendName, string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: WEBGPU_PACKAGES.tfjs,
  node: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};
const TF_NAMES: Record<BackendName, string> = {
  'node-gpu': 'tensorflow',
  webgpu: 'webgpu',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Loads a package by name; injected so that tests can simulate missing packages. */
export type PackageLoader = (pkg: string) => unknown;

export interface InitOptions {
  /** Backend to use; default: `SALIENCY_BACKEND` if set, else the best one present. */
  backend?: BackendName;
  /** Environment to read `SALIENCY_BACKEND` from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** How packages are loaded. Default `require`. */
  load?: PackageLoader;
}

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** The default package loader (`require`, and for `webgpu` its binary where require cannot load it). */
function loadPackage(pkg: string): unknown {
  if (pkg === WEBGPU_PACKAGES.dawn) return requireDawn();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(pkg);
}

function checkName(where: string, name: string, source: string): BackendName {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new BackendError(where, `unknown backend ${JSON.stringify(name)} (from ${source}); choices: ${BACKENDS.join(', ')}`);
  }
  return name as BackendName;
}

/**
 * Loads one backend's package and makes it the active tfjs backend. Throws with the reason on failure.
 * `named`: chosen by name (a software WebGPU adapter is accepted then). Returns the adapter for webgpu.
 */
async function activate(name: BackendName, load: PackageLoader, named: boolean): Promise<AdapterSummary | undefined> {
  const adapter = name === 'webgpu' ? await prepareWebGPU(load, named) : undefined;
  // Tensors still on webgpu move to the new backend through a synchronous read, which Node cannot do there.
  if (name !== 'webgpu') await readBackWebGPUTensors();
  if (name !== 'cpu' && name !== 'webgpu') {
    try {
      load(PACKAGES[name]);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const why = code === 'MODULE_NOT_FOUND' ? 'not installed' : (e as Error).message;
      throw new Error(`${PACKAGES[name]} ${why}`);
    }
  }
  const tfName = TF_NAMES[name];
  if (tf.findBackendFactory(tfName) == null) {
    throw new Error(
      `${PACKAGES[name]} loaded but registered no "${tfName}" backend with this @tensorflow/tfjs ` +
        `(${tf.version_core}); install the same version as @tensorflow/tfjs so they share one tfjs-core`,
    );
  }
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`tfjs could not initialize the "${tfName}" backend`);
  await tf.ready();
  if (name === 'webgpu') {
    instrumentBackend();
    watchDevice((reason) => {
      if (current?.name === 'webgpu') current = { ...current, lost: `the GPU device was lost: ${reason}` };
    });
  }
  return adapter;
}

/**
 * Picks and activates a backend (see the module comment for the order). Safe to call many times: the
 * first call decides unless `options.backend` asks for another. Returns what is in use.
 */
export function initBackend(options: InitOptions = {}): Promise<BackendInfo> {
  // One choice at a time: an explicit choice made while the automatic one (started at import) is still
  // loading must not be overridden when that finishes.
  const run = queue.then(() => choose(options));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

async function choose(options: InitOptions): Promise<BackendInfo> {
  const where = 'initBackend';
  const env = options.env ?? process.env;
  const load = options.load ?? loadPackage;
  const fromEnv = env.SALIENCY_BACKEND?.trim();

  if (options.backend !== undefined || fromEnv) {
    const name = options.backend !== undefined
      ? checkName(where, options.backend, 'the backend option')
      : checkName(where, fromEnv as string, 'SALIENCY_BACKEND');
    let adapter: AdapterSummary | undefined;
    try {
      adapter = await activate(name, load, true);
    } catch (e) {
      throw new BackendError(where, `backend "${name}" cannot be used: ${(e as Error).message}. ${howToInstall(name)}`);
    }
    current = {
      name, tfBackend: TF_NAMES[name], package: PACKAGES[name],
      chosenBy: options.backend !== undefined ? 'setBackend' : 'SALIENCY_BACKEND', skipped: [],
      ...(adapter ? { adapter } : {}),
    };
    return current;
  }

  const skipped: BackendInfo['skipped'] = [];
  for (const name of BACKENDS) {
    try {
      const adapter = await activate(name, load, false);
      current = { name, tfBackend: TF_NAMES[name], package: PACKAGES[name], chosenBy: 'auto', skipped, ...(adapter ? { adapter } : {}) };
      return current;
    } catch (e) {
      skipped.push({ name, reason: (e as Error).message });
    }
  }
  throw new BackendError(where, `no backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

function howToInstall(name: BackendName): string {
  switch (name) {
    case 'node-gpu':
      return `Install it with \`npm install @tensorflow/tfjs-node-gpu@${tf.version_core}\` on a machine with CUDA, or choose another backend: ${BACKENDS.join(', ')}.`;
    case 'node':
      return `Install it with \`npm install @tensorflow/tfjs-node@${tf.version_core}\`, or choose another backend: ${BACKENDS.join(', ')}.`;
    case 'webgpu':
      return `It needs \`${webgpuInstallHint(peerDependencies())}\` and a GPU driver Dawn can use (Linux: Vulkan), or choose another backend: ${BACKENDS.join(', ')}.`;
    default:
      return `Choices: ${BACKENDS.join(', ')}.`;
  }
}

/**
 * Resolves once a backend is active: the first call picks one as `initBackend()` does; later calls reuse
 * it. Every public method awaits this, so users need not call anything first.
 */
export function ready(): Promise<BackendInfo> {
  if (current && !current.lost && tf.getBackend() === current.tfBackend) return Promise.resolve(current);
  if (!pending) {
    pending = initBackend().finally(() => {
      pending = null;
    });
  }
  return pending;
}

/** This package's peerDependencies (the versions the install hints name). */
function peerDependencies(): Record<string, string> {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> };
    return pkg.peerDependencies ?? {};
  } catch {
    return {};
  }
}

/** Switches to a named backend (an explicit choice that later `ready()` calls keep). */
export async function setBackend(name: BackendName): Promise<BackendInfo> {
  return initBackend({ backend: name });
}

/** What is in use now, or null before any backend was chosen. */
export function backendInfo(): BackendInfo | null {
  const info = rawBackendInfo();
  const pool = poolStatus();
  return info && pool ? { ...info, pool } : info;
}

function rawBackendInfo(): BackendInfo | null {
  if (current && tf.getBackend() !== current.tfBackend) {
    // Someone switched backends with tf.setBackend directly: report what tfjs actually uses.
    const tfName = tf.getBackend();
    const name = (BACKENDS.find((b) => TF_NAMES[b] === tfName) ?? 'cpu') as BackendName;
    return { name, tfBackend: tfName, package: PACKAGES[name], chosenBy: 'setBackend', skipped: [] };
  }
  return current;
}
