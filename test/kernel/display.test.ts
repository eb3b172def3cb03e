import { expectUnittestScript, useKernelSpec } from './helpers';

describe('kernel: display.py', () => {
  const spec = useKernelSpec(['jupyter_client']);

  test('both kernels: fast backend in the first cell, promises without internals, odd values as text, tracebacks into the cell', () => expectUnittestScript('display.py', spec(), 8), 180_000);
});
