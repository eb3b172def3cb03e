import { checkPrerequisites, installKernelSpec, removeDir, runPython, unittestSummary } from './helpers';

describe('kernel: protocol.py', () => {
  let spec: ReturnType<typeof installKernelSpec>;
  beforeAll(() => {
    checkPrerequisites(['jupyter_client']);
    spec = installKernelSpec();
  });
  afterAll(() => spec && removeDir(spec.prefix));

  test("comms both ways with buffers, comm_info, stdin, displays, stop_on_error, bad messages, restart", async () => {
    const r = await runPython('protocol.py', [], spec.env, 150_000);
    const summary = unittestSummary(r);
    if (r.code !== 0 || !summary) console.log(r.stderr.slice(-8000));
    expect(summary).toEqual({ tests: 13, failures: 0, errors: 0, skipped: 0 });
    expect(r.code).toBe(0);
  }, 180_000);
});
