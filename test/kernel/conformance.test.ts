import { expectUnittestScript, useKernelSpec } from './helpers';

describe('kernel: conformance.py', () => {
  const spec = useKernelSpec(['jupyter_client', 'jupyter_kernel_test']);

  test("Debian's jupyter_kernel_test passes in full for both kernels, nothing skipped, no internals shown", () => expectUnittestScript('conformance.py', spec(), 24), 180_000);
});
