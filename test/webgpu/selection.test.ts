/**
 * Choosing the webgpu backend, with an injected loader: a fake `webgpu` (Dawn) module whose adapter the
 * test decides, and a fake `@tensorflow/tfjs-backend-webgpu` that registers a "webgpu" backend (the cpu
 * backend's code, with a GPUDevice-like `device` whose loss the test triggers). No real GPU is involved,
 * so these run the same on every machine.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { backendInfo, initBackend, ready } from '../../src/backend';
import { resetWebGPUState } from '../../src/backend/webgpu';
import { BackendError } from '../../src/errors';

const HARDWARE = { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3080' };
const LAVAPIPE = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15', description: 'llvmpipe: Mesa 25.0.7', isFallbackAdapter: true };

type FakeInfo = Record<string, unknown>;
let loseDevice: (info: { reason: string; message: string }) => void = () => undefined;

class FakeWebGPUBackend extends MathBackendCPU {
  readonly device: { lost: Promise<{ reason: string; message: string }> };
  constructor() {
    super();
    this.device = { lost: new Promise((resolve) => (loseDevice = resolve)) };
  }
}

function notInstalled(pkg: string): never {
  throw Object.assign(new Error(`Cannot find module '${pkg}'`), { code: 'MODULE_NOT_FOUND' });
}

/**
 * A loader: the native packages are absent; `webgpu` gives an adapter with `info` (null: no adapter;
 * 'absent': not installed); `@tensorflow/tfjs-backend-webgpu` registers the fake backend unless absent.
 */
function loader(info: FakeInfo | null | 'absent', tfjsWebgpu: 'present' | 'absent' = 'present') {
  const requested: string[] = [];
  const load = (pkg: string): unknown => {
    requested.push(pkg);
    switch (pkg) {
      case 'webgpu':
        if (info === 'absent') notInstalled(pkg);
        return {
          create: () => ({ requestAdapter: async () => (info ? { info } : null) }),
          globals: { GPUBufferUsage: { MAP_READ: 1 } },
        };
      case '@tensorflow/tfjs-backend-webgpu':
        if (tfjsWebgpu === 'absent') notInstalled(pkg);
        if (!tf.findBackendFactory('webgpu')) tf.registerBackend('webgpu', () => new FakeWebGPUBackend(), 3);
        return {};
      case '@tensorflow/tfjs-node-gpu':
      case '@tensorflow/tfjs-node':
        return notInstalled(pkg);
      default:
        return require(pkg);
    }
  };
  return Object.assign(load, { requested });
}

afterEach(async () => {
  resetWebGPUState();
  await initBackend({ backend: 'cpu' });
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
});

describe('webgpu in the automatic order', () => {
  test('a hardware adapter is chosen after node-gpu and before node, and backendInfo names it', async () => {
    const info = await initBackend({ env: {}, load: loader(HARDWARE) });
    expect(info.name).toBe('webgpu');
    expect(info.chosenBy).toBe('auto');
    expect(info.skipped.map((s) => s.name)).toEqual(['node-gpu']);
    expect(info.adapter).toEqual({ ...HARDWARE, software: false });
    expect(tf.getBackend()).toBe('webgpu');
    expect(backendInfo()?.adapter?.description).toBe('NVIDIA GeForce RTX 3080');
    // Dawn's navigator.gpu and WebGPU globals are installed for tfjs-backend-webgpu.
    expect((globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage).toEqual({ MAP_READ: 1 });
  });

  test.each([
    ['Mesa lavapipe (isFallbackAdapter)', LAVAPIPE],
    ['architecture "software"', { vendor: 'mesa', architecture: 'software', device: '', description: '' }],
    ['SwiftShader by name', { vendor: 'google', architecture: '', device: 'SwiftShader Device (Subzero)', description: 'SwiftShader' }],
  ])('a software adapter (%s) is skipped automatically, with the reason', async (_label, adapter) => {
    const load = loader(adapter);
    const info = await initBackend({ env: {}, load });
    expect(info.name).toBe('wasm');
    const skip = info.skipped.find((s) => s.name === 'webgpu');
    expect(skip?.reason).toMatch(/^only a software adapter \(.+\), not chosen automatically: it is slower than the wasm backend; set SALIENCY_BACKEND=webgpu/);
    // tfjs-backend-webgpu is not even loaded for an adapter that will not be used.
    expect(load.requested).not.toContain('@tensorflow/tfjs-backend-webgpu');
  });

  test('no adapter, no webgpu package, no tfjs-backend-webgpu: skipped, each with its reason', async () => {
    const reason = async (load: ReturnType<typeof loader>) =>
      (await initBackend({ env: {}, load })).skipped.find((s) => s.name === 'webgpu')?.reason;
    expect(await reason(loader(null))).toMatch(/^Dawn found no adapter: no GPU driver it can use \(Linux: a Vulkan driver/);
    expect(await reason(loader('absent'))).toBe('webgpu not installed');
    expect(await reason(loader(HARDWARE, 'absent'))).toBe('@tensorflow/tfjs-backend-webgpu not installed');
  });
});

describe('forcing webgpu', () => {
  test('SALIENCY_BACKEND=webgpu takes a software adapter', async () => {
    const info = await initBackend({ env: { SALIENCY_BACKEND: 'webgpu' }, load: loader(LAVAPIPE) });
    expect(info).toMatchObject({ name: 'webgpu', chosenBy: 'SALIENCY_BACKEND', adapter: { description: 'llvmpipe: Mesa 25.0.7', software: true } });
  });

  test('a forced webgpu that cannot be used is an error that says why and what to install, never a fallback', async () => {
    const forced = (load: ReturnType<typeof loader>) => initBackend({ env: { SALIENCY_BACKEND: 'webgpu' }, load });
    await expect(forced(loader('absent'))).rejects.toThrow(BackendError);
    await expect(forced(loader('absent'))).rejects.toThrow(
      'initBackend: backend "webgpu" cannot be used: webgpu not installed. It needs `npm install webgpu@^0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0` and a GPU driver Dawn can use (Linux: Vulkan)',
    );
    await expect(forced(loader(null))).rejects.toThrow(/backend "webgpu" cannot be used: Dawn found no adapter/);
    expect(tf.getBackend()).toBe('cpu'); // what was active before stays active
  });
});

describe('a lost device', () => {
  test('is reported by backendInfo, and the next choice skips webgpu with the reason', async () => {
    const load = loader(HARDWARE);
    expect((await initBackend({ env: {}, load })).name).toBe('webgpu');
    loseDevice({ reason: 'unknown', message: 'device reset by the driver' });
    await new Promise((r) => setImmediate(r));
    expect(backendInfo()?.lost).toBe('the GPU device was lost: device reset by the driver');

    const next = await initBackend({ env: {}, load });
    expect(next.name).toBe('wasm');
    expect(next.skipped.find((s) => s.name === 'webgpu')?.reason).toBe(
      'the GPU device was lost earlier in this process (device reset by the driver); restart it to try again',
    );
    await expect(initBackend({ env: { SALIENCY_BACKEND: 'webgpu' }, load })).rejects.toThrow(/backend "webgpu" cannot be used: the GPU device was lost earlier/);
  });

  test('ready() does not hand out a lost backend', async () => {
    await initBackend({ env: { SALIENCY_BACKEND: 'webgpu' }, load: loader(HARDWARE) });
    loseDevice({ reason: 'unknown', message: 'gone' });
    await new Promise((r) => setImmediate(r));
    const info = await ready(); // chooses again with the real loader: webgpu is now out of the order
    expect(info.name).not.toBe('webgpu');
    expect(info.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/lost earlier in this process \(gone\)/);
  });

  test('a device destroyed on purpose is not a loss', async () => {
    await initBackend({ env: {}, load: loader(HARDWARE) });
    loseDevice({ reason: 'destroyed', message: '' });
    await new Promise((r) => setImmediate(r));
    expect(backendInfo()?.lost).toBeUndefined();
  });
});
