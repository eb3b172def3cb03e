/**
 * The WebGPU backend in Node: Dawn (Chrome's WebGPU implementation, prebuilt in the npm package `webgpu`)
 * gives `navigator.gpu`, on which `@tensorflow/tfjs-backend-webgpu` runs. Both packages are optional peer
 * dependencies (`webgpu` is 132 MB unpacked: binaries for every platform).
 *
 * Before tfjs sees it, the adapter is asked for and judged here: a hardware adapter is chosen
 * automatically; a software one (lavapipe/llvmpipe, SwiftShader, WARP) is slower than the wasm backend
 * (a 224×224 VGG-like forward pass ≈ 540 ms on lavapipe, ≈ 50 ms on wasm), so it is used only when asked
 * for by name. A device lost while in use (driver reset, GPU removed) takes webgpu out of the automatic
 * order for the rest of the process, with that reason.
 *
 * tfjs-backend-webgpu reads a tensor synchronously (dataSync, arraySync, and tfjs moving a tensor to
 * another backend) through OffscreenCanvas, which Node lacks: it failed with "OffscreenCanvas is not
 * defined" as soon as a model used on webgpu was used again after a switch to wasm. Here the backend's
 * live tensors are tracked, a switch away from webgpu first reads them all back (asynchronously; tfjs
 * then moves the cached values), and a synchronous read that cannot work is a BackendError that says
 * what to do instead.
 */
import path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BackendError, BatchTooLargeError } from '../errors';
import './webgpu-kernels';

/** What `backendInfo()` says about the adapter in use. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  /** The device's name, where the driver gives one. */
  device: string;
  description: string;
  /** A CPU implementation of WebGPU (lavapipe, SwiftShader, WARP), not a GPU. */
  software: boolean;
}

/**
 * The few WebGPU types used here, declared locally: TypeScript's DOM library has none, and `@webgpu/types`
 * comes only with the optional `webgpu` package.
 */
interface GPUAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GPUAdapter {
  info: GPUAdapterInfo;
  isFallbackAdapter?: boolean;
}
interface GPUDeviceLostInfo {
  reason?: string;
  message?: string;
}
interface GPUDevice {
  lost?: Promise<GPUDeviceLostInfo>;
}
interface GPURequestAdapterOptions {
  powerPreference?: 'low-power' | 'high-performance';
}
interface GPU {
  requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null>;
}

/** The parts of the `webgpu` package used here. */
interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Loads a package by name (the same loader as the other backends: injected by tests). */
type Load = (pkg: string) => unknown;

export const WEBGPU_PACKAGES = { dawn: 'webgpu', tfjs: '@tensorflow/tfjs-backend-webgpu' } as const;

/**
 * `require('webgpu')`, or, where `require` cannot load that package's ES-module entry (Node before 20.19,
 * jest's module system), the prebuilt binary that entry loads: dist/<platform>-<arch>/dawn.node
 * (macOS: dist/darwin-universal). What the entry adds (unmapping buffers on GPUDevice.destroy(), which
 * tfjs never calls) is not needed here.
 */
export function requireDawn(): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(WEBGPU_PACKAGES.dawn);
  } catch (e) {
    const code = (e as { code?: string }).code;
    // (jest's SyntaxError comes from another realm: compare names, not classes)
    if (code !== 'ERR_REQUIRE_ESM' && (e as Error).name !== 'SyntaxError') throw e;
    const dir = path.dirname(require.resolve(`${WEBGPU_PACKAGES.dawn}/package.json`));
    const arch = process.platform === 'darwin' ? 'universal' : process.arch;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node'));
  }
}

/** Software adapters, by the names their drivers give (Mesa's lavapipe reports "llvmpipe"). */
const SOFTWARE = /llvmpipe|lavapipe|swiftshader|\bwarp\b|basic render driver|software/i;

/** Whether an adapter is a CPU implementation: the adapter says so, or its names do. */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return true;
  if (info.architecture === 'software' || info.architecture === 'cpu') return true;
  return SOFTWARE.test(`${info.vendor} ${info.device} ${info.description}`);
}

function summarize(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: isSoftwareAdapter(adapter),
  };
}

/** "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" or "nvidia ampere": the shortest name that says which. */
export function adapterName(a: AdapterSummary): string {
  return a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
}

/** One Dawn instance per loaded `webgpu` module (each instance starts its own threads). */
const instances = new WeakMap<object, GPU>();
/** The `navigator.gpu` this module installed, so that one a host provides (a browser, Deno) is kept. */
let installed: GPU | null = null;
let lost: string | null = null;

function hostGpu(): GPU | null {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu && nav.gpu !== installed ? nav.gpu : null;
}

function installNavigatorGpu(gpu: GPU, globals: Record<string, unknown>): void {
  const g = globalThis as Record<string, unknown>;
  // The WebGPU constants and classes (GPUBufferUsage, GPUMapMode, ...) that tfjs-backend-webgpu reads.
  for (const [k, v] of Object.entries(globals)) if (!(k in g)) g[k] = v;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav && typeof nav === 'object') Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, writable: true });
  installed = gpu;
}

/** How tfjs-backend-webgpu asks for its adapter (the one judged here must be the one it gets). */
function adapterOptions(): GPURequestAdapterOptions {
  const lowPower = tf.env().getFlags().WEBGPU_USE_LOW_POWER_GPU === true;
  return { powerPreference: lowPower ? 'low-power' : 'high-performance' };
}

/**
 * Makes `navigator.gpu` available (Dawn's, unless the host has one), asks for an adapter and judges it.
 * Throws an Error whose message is the reason webgpu cannot be used: package absent, no adapter,
 * software adapter not chosen automatically, or adapter lost earlier in this process.
 */
export async function prepareWebGPU(load: Load, allowSoftware: boolean): Promise<AdapterSummary> {
  if (lost) throw new Error(`the GPU device was lost earlier in this process (${lost}); restart it to try again`);
  let gpu = hostGpu();
  if (!gpu) {
    const dawn = loadOrExplain(load, WEBGPU_PACKAGES.dawn) as DawnModule;
    if (typeof dawn?.create !== 'function') throw new Error(`${WEBGPU_PACKAGES.dawn} loaded but has no create(): not the Dawn package this needs`);
    gpu = instances.get(dawn) ?? dawn.create([]);
    instances.set(dawn, gpu);
    installNavigatorGpu(gpu, dawn.globals ?? {});
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(adapterOptions());
  } catch (e) {
    throw new Error(`Dawn could not look for an adapter: ${(e as Error).message}`);
  }
  if (!adapter) {
    throw new Error(
      'Dawn found no adapter: no GPU driver it can use (Linux: a Vulkan driver, which NVIDIA\'s, AMD\'s and ' +
        'Intel\'s drivers provide; macOS: Metal; Windows: D3D12)',
    );
  }
  const summary = summarize(adapter);
  if (summary.software && !allowSoftware) {
    throw new Error(
      `only a software adapter (${adapterName(summary)}), not chosen automatically: it is slower than the wasm ` +
        'backend; set SALIENCY_BACKEND=webgpu or call setBackend(\'webgpu\') to use it anyway',
    );
  }
  loadOrExplain(load, WEBGPU_PACKAGES.tfjs);
  return summary;
}

function loadOrExplain(load: Load, pkg: string): unknown {
  try {
    return load(pkg);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`${pkg} ${code === 'MODULE_NOT_FOUND' ? 'not installed' : (e as Error).message}`);
  }
}

const watched = new WeakSet<GPUDevice>();

/**
 * Watches the active webgpu backend's device (once per device): when it is lost (for any reason but being destroyed on
 * purpose), webgpu is taken out of the automatic order and `onLost` is told why.
 */
export function watchDevice(onLost: (reason: string) => void): void {
  const backend = tf.findBackend('webgpu') as unknown as { device?: GPUDevice } | null;
  const device = backend?.device;
  if (!device?.lost || watched.has(device)) return;
  watched.add(device);
  device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    lost = info.message || String(info.reason ?? 'unknown reason');
    onLost(lost);
  }, () => undefined);
}

/** The parts of tfjs-backend-webgpu's WebGPUBackend used to track and read back its tensors. */
interface WebGPUBackendInternals {
  device: { limits: { maxStorageBufferBindingSize: number } };
  runWebGPUProgram(program: { outputShape: number[]; shaderKey?: string; constructor: { name: string } }, inputs: tf.TensorInfo[], ...rest: unknown[]): tf.TensorInfo;
  tensorMap: {
    set(id: tf.DataId, value: unknown): void;
    delete(id: tf.DataId): boolean;
    has(id: tf.DataId): boolean;
    get(id: tf.DataId): { values?: unknown } | undefined;
  };
  read(id: tf.DataId): Promise<unknown>;
  readSync(id: tf.DataId): unknown;
}

/** The webgpu backend instance whose tensors are tracked, and its tensors' data ids. */
let tracked: WebGPUBackendInternals | null = null;
const live = new Set<tf.DataId>();

/** Tracks the active webgpu backend's tensors and guards its synchronous reads (see the module comment). */
export function instrumentBackend(): void {
  const backend = tf.findBackend('webgpu') as unknown as WebGPUBackendInternals | null;
  if (!backend?.tensorMap || backend === tracked) return;
  tracked = backend;
  live.clear();
  const map = backend.tensorMap;
  const set = map.set.bind(map);
  const remove = map.delete.bind(map);
  map.set = (id, value) => {
    live.add(id);
    set(id, value);
  };
  map.delete = (id) => {
    live.delete(id);
    return remove(id);
  };
  guardBindingSize(backend);
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return;
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (id) => {
    if (map.has(id) && map.get(id)?.values == null) {
      throw new BackendError(
        'webgpu',
        'a tensor on the GPU cannot be read synchronously in Node (dataSync, arraySync, or tf.setBackend moving it to ' +
          'another backend: tfjs-backend-webgpu reads through OffscreenCanvas, which Node lacks); use `await tensor.data()` ' +
          "or `await tensor.array()`, and switch backends with saliency-lab's setBackend(), which reads tensors back first",
      );
    }
    return readSync(id);
  };
}

const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** tfjs-backend-webgpu's programs are classes named after what they do; saliency-lab's are plain objects with a key. */
function shaderName(program: { shaderKey?: string; constructor: { name: string } }): string {
  const name = program.constructor?.name;
  return name && name !== 'Object' ? name : program.shaderKey ?? 'a shader';
}

/**
 * A shader binds each input and its output whole, and WebGPU refuses a binding larger than the device's
 * `maxStorageBufferBindingSize` (128 MB on lavapipe, and Dawn's default; GPUs allow more). tfjs-backend-webgpu
 * does not check: the command is dropped with a validation message on stderr and the result holds garbage.
 * Here such a program is a BatchTooLargeError before it runs, naming the tensor and what to do (the
 * methods' batch loop then retries the batch in halves).
 */
function guardBindingSize(backend: WebGPUBackendInternals): void {
  const deviceLimit = backend.device?.limits?.maxStorageBufferBindingSize;
  if (!deviceLimit) return;
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, inputs, ...rest) => {
    const limit = Math.min(deviceLimit, testBindingLimit ?? Infinity);
    // Every dtype tfjs-backend-webgpu stores takes 4 bytes an element (bool as i32; complex64 as two float32 tensors).
    const shapes = [program.outputShape, ...inputs.map((t) => t.shape)];
    const worst = shapes.reduce((a, shape) => Math.max(a, 4 * shape.reduce((n, d) => n * d, 1)), 0);
    if (worst > limit) {
      const shape = shapes.find((sh) => 4 * sh.reduce((n, d) => n * d, 1) === worst);
      throw new BatchTooLargeError(
        'webgpu',
        `a tensor of ${MB(worst)} (shape [${shape?.join(', ')}], in ${shaderName(program)}) is larger than ` +
          `this GPU's largest storage binding (${MB(limit)}); use a smaller batchSize, or a smaller input`,
      );
    }
    return run(program, inputs, ...rest);
  };
}

/**
 * Reads every tensor still on the webgpu backend back to the CPU (cached beside its GPU buffer), so that
 * tfjs can move it to another backend synchronously. Tensors of a lost device cannot be read: they stay
 * as they are (using one later is the BackendError above).
 */
export async function readBackWebGPUTensors(): Promise<void> {
  const backend = tracked;
  if (!backend || lost) return;
  const pending = [...live].filter((id) => backend.tensorMap.has(id) && backend.tensorMap.get(id)?.values == null);
  await Promise.all(pending.map((id) => backend.read(id).catch(() => undefined)));
}

/** The install command for both packages, from this package's peerDependencies (one source of versions). */
export function webgpuInstallHint(peers: Record<string, string>): string {
  const spec = (pkg: string) => (peers[pkg] ? `${pkg}@${peers[pkg]}` : pkg);
  return `npm install ${spec(WEBGPU_PACKAGES.dawn)} ${spec(WEBGPU_PACKAGES.tfjs)}`;
}

let testBindingLimit: number | null = null;

/** For tests: a binding limit below the device's (null: the device's), so that small models reach it. */
export function setTestBindingLimit(bytes: number | null): void {
  testBindingLimit = bytes;
}

/** For tests: forget a lost device, and remove the `navigator.gpu` installed here. */
export function resetWebGPUState(): void {
  lost = null;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav && installed && nav.gpu === installed) delete nav.gpu;
  installed = null;
}
