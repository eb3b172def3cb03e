import { checkPrerequisites, installKernelSpec, removeDir, runPython, unittestSummary } from './helpers';

describe('kernel: interrupt.py', () => {
  let spec: ReturnType<typeof installKernelSpec>;
  beforeAll(() => {
    checkPrerequisites(['jupyter_client']);
    spec = installKernelSpec();
  });
  afterAll(() => spec && removeDir(spec.prefix));

  test("an interrupt stops 30-second tfjs loops within 1 s and the next cell runs", async () => {
    const r = await runPython('interrupt.py', [], spec.env, 150_000);
    const summary = unittestSummary(r);
    if (r.code !== 0 || !summary) console.log(r.stderr.slice(-8000));
    expect(summary).toEqual({ tests: 6, failures: 0, errors: 0, skipped: 0 });
    expect(r.code).toBe(0);
  }, 180_000);
});
