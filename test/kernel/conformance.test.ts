import { checkPrerequisites, installKernelSpec, removeDir, runPython, unittestSummary } from './helpers';

describe('kernel: conformance.py', () => {
  let spec: ReturnType<typeof installKernelSpec>;
  beforeAll(() => {
    checkPrerequisites(['jupyter_client', 'jupyter_kernel_test']);
    spec = installKernelSpec();
  });
  afterAll(() => spec && removeDir(spec.prefix));

  test("Debian's jupyter_kernel_test passes in full, nothing skipped", async () => {
    const r = await runPython('conformance.py', [], spec.env, 150_000);
    const summary = unittestSummary(r);
    if (r.code !== 0 || !summary) console.log(r.stderr.slice(-8000));
    expect(summary).toEqual({ tests: 12, failures: 0, errors: 0, skipped: 0 });
    expect(r.code).toBe(0);
  }, 180_000);
});
