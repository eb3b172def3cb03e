import { expectUnittestScript, useKernelSpec } from './helpers';

describe('kernel: protocol.py', () => {
  const spec = useKernelSpec(['jupyter_client']);

  test("comms both ways with buffers, comm_info, stdin, displays, stop_on_error, bad messages, restart", () => expectUnittestScript('protocol.py', spec(), 13), 180_000);
});
