import { expectUnittestScript, useKernelSpec } from './helpers';

describe('kernel: interrupt.py', () => {
  const spec = useKernelSpec(['jupyter_client']);

  test("an interrupt stops 30-second tfjs loops (and a pooled run, ending its workers) within 1 s and the next cell runs", () => expectUnittestScript('interrupt.py', spec(), 7), 180_000);
});
