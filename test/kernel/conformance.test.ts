import { expectUnittestScript, useKernelSpec } from './helpers';

describe('kernel: conformance.py', () => {
  const spec = useKernelSpec(['jupyter_client', 'jupyter_kernel_test']);

  test("Debian's jupyter_kernel_test passes in full, nothing skipped", () => expectUnittestScript('conformance.py', spec(), 12), 180_000);
});
