import * as tf from '@tensorflow/tfjs';
import { initBackend, backendInfo, ready, setBackend, BACKENDS } from '../src/backend';
import { BackendError } from '../src/errors';

/** A loader that behaves as if the named packages were not installed. */
function without(...missing: string[]) {
  return (pkg: string) => {
    if (missing.includes(pkg)) {
      const e = new Error(`Cannot find module '${pkg}'`) as Error & { code: string };
      e.code = 'MODULE_NOT_FOUND';
      throw e;
    }
    return require(pkg);
  };
}

describe('backend selection', () => {
  test('falls back past the missing native packages to wasm', async () => {
    const info = await initBackend({ env: {}, load: without('@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-node') });
    expect(info.name).toBe('wasm');
    expect(info.chosenBy).toBe('auto');
    expect(info.skipped.map((s) => s.name)).toEqual(['node-gpu', 'webgpu', 'node']);
    expect(info.skipped[0].reason).toMatch(/not installed/);
    expect(tf.getBackend()).toBe('wasm');
    expect(backendInfo()?.name).toBe('wasm');
  });

  test('SALIENCY_BACKEND chooses, and an unknown name lists the choices', async () => {
    const info = await initBackend({ env: { SALIENCY_BACKEND: 'cpu' } });
    expect(info.name).toBe('cpu');
    expect(info.chosenBy).toBe('SALIENCY_BACKEND');
    expect(tf.getBackend()).toBe('cpu');
    await expect(initBackend({ env: { SALIENCY_BACKEND: 'gpu' } })).rejects.toThrow(BackendError);
    await expect(initBackend({ env: { SALIENCY_BACKEND: 'gpu' } })).rejects.toThrow(
      `initBackend: unknown backend "gpu" (from SALIENCY_BACKEND); choices: ${BACKENDS.join(', ')}`,
    );
  });

  test('a named backend that is not installed is an error that says how to install it', async () => {
    await expect(initBackend({ env: { SALIENCY_BACKEND: 'node-gpu' }, load: without('@tensorflow/tfjs-node-gpu') })).rejects.toThrow(
      /backend "node-gpu" cannot be used: @tensorflow\/tfjs-node-gpu not installed\. Install it with `npm install @tensorflow\/tfjs-node-gpu@4\.22\.0`/,
    );
  });

  test('an explicit choice made while the automatic one is loading wins', async () => {
    await initBackend({ backend: 'cpu' });
    const auto = initBackend({ env: {} });
    const explicit = setBackend('cpu');
    await Promise.all([auto, explicit]);
    expect(tf.getBackend()).toBe('cpu');
    expect(backendInfo()?.chosenBy).toBe('setBackend');
  });

  test('ready() keeps an explicit choice', async () => {
    await initBackend({ backend: 'cpu' });
    expect((await ready()).name).toBe('cpu');
    await initBackend({ backend: 'wasm' });
    expect((await ready()).name).toBe('wasm');
  });
});
