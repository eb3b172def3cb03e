import { expectUnittestScript, useKernelSpec } from './helpers';

describe('kernel: interrupt.py', () => {
  const spec = useKernelSpec(['jupyter_client']);

  test("an interrupt stops 30-second tfjs loops within 1 s and the next cell runs", () => expectUnittestScript('interrupt.py', spec(), 6), 180_000);
});
