import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';

// A fresh jest worker module registry: wasm's and webgpu's packages are never loaded here, so "missing" is real.
test('with no native package and no wasm package, the cpu backend is used', async () => {
  const missing = new Set(['@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm']);
  const info = await initBackend({
    env: {},
    load: (pkg) => {
      if (missing.has(pkg)) throw Object.assign(new Error(`Cannot find module '${pkg}'`), { code: 'MODULE_NOT_FOUND' });
      return require(pkg);
    },
  });
  expect(info.name).toBe('cpu');
  expect(info.skipped.map((s) => s.name)).toEqual(['node-gpu', 'webgpu', 'node', 'wasm']);
  expect(tf.getBackend()).toBe('cpu');
});
