"""Interrupting the saliency-lab kernel while it runs 30-second loops of tfjs work: the cell stops
within a second, the work stops, and the next cell runs (gradients included, so tfjs is intact)."""
import sys
import time
import unittest

import zmq

from kernelutil import KernelCase

SETUP = r'''
import * as tf from "@tensorflow/tfjs";
import { ready, currentSignal } from "saliency-lab";
await ready();
const a = tf.randomNormal([128, 128]);
let steps = 0;
tf.getBackend()
'''

# Long library work written as it should be: it takes the kernel's signal and checks it between steps.
ASYNC_LOOP = r'''
console.log("started");
const signal = currentSignal()!;
const t0 = Date.now();
while (Date.now() - t0 < 30000) {
  tf.tidy(() => tf.matMul(a, a).sum());
  steps++;
  await new Promise((r) => setImmediate(r));
  signal.throwIfAborted();
}
"finished"
'''

# Synchronous work that never yields: only SIGINT (vm breakOnSigint) can stop it.
SYNC_LOOP = r'''
const t1 = Date.now();
while (Date.now() - t1 < 30000) {
  tf.tidy(() => tf.matMul(a, a).sum());
}
"finished"
'''

# A batched method spread over worker threads (issue 16): the interrupt ends the run and its workers.
POOLED_SETUP = r'''
import { occlusion, poolSize } from "saliency-lab";
const net = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [64, 64, 3], filters: 32, kernelSize: 3, activation: "relu" }), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
const img = tf.randomUniform([1, 64, 64, 3]) as tf.Tensor4D;
poolSize()
'''
POOLED = r'''
try {
  await occlusion(net, img, { window: 1, stride: 1, batchSize: 4, workers: 2, onProgress: (d) => { if (d === 4) console.log("started"); } });
} catch (e) {
  console.log(`failed: ${(e as Error).message}`);
  throw e;
}
"finished"
'''

GRADIENT = r'''
const g = tf.grad((x: tf.Tensor) => x.square().sum())(tf.tensor1d([3, -1]));
Array.from(g.dataSync()).join(",")
'''


class InterruptTests(KernelCase):
    def interrupt_during(self, code, how, wait=1.5):
        """Interrupts `code` once it runs: after its "started" output if it prints one, else after `wait` s."""
        msg_id = self.kc.execute(code)
        if "started" in code:
            out, deadline = [], time.time() + 30
            while "started" not in self.stdout(out) and time.time() < deadline:
                out += self.iopub_for(msg_id, until_idle=False, timeout=0.2)
            self.assertIn("started", self.stdout(out))
            self.__class__.pending = out + self.pending  # keep them for the caller
            time.sleep(0.5)
        else:
            time.sleep(wait)
        # The heartbeat (a worker thread) answers even while the cell computes.
        hb = zmq.Context.instance().socket(zmq.REQ)
        hb.connect(f"tcp://{self.km.ip}:{self.km.hb_port}")
        hb.send(b"ping")
        self.assertEqual(hb.poll(1000), zmq.POLLIN, "no heartbeat while the cell runs")
        self.assertEqual(hb.recv(), b"ping")
        hb.close(linger=0)
        t = time.time()
        if how == "signal":
            self.km.interrupt_kernel()  # SIGINT: the kernelspec's interrupt_mode
        else:
            msg = self.kc.session.msg("interrupt_request", {})
            self.kc.control_channel.send(msg)
            self.assertEqual(self.kc.get_control_msg(timeout=5)["content"]["status"], "ok")
        reply = self.shell_reply(msg_id, timeout=10)
        elapsed = time.time() - t
        outputs = self.iopub_for(msg_id)
        print(f"\n  {how} interrupt answered in {elapsed * 1000:.0f} ms", file=sys.stderr)
        return reply, outputs, elapsed

    def test_1_setup(self):
        self.assertIn(self.result(self.run_ok(SETUP)), ("'wasm'", "'cpu'"))

    def check_stopped(self, reply, elapsed):
        self.assertEqual(reply["content"]["status"], "error")
        self.assertLess(elapsed, 1.0, f"interrupt took {elapsed:.2f}s")

    def test_2_async_loop_sigint(self):
        reply, out, elapsed = self.interrupt_during(ASYNC_LOOP, "signal")
        self.check_stopped(reply, elapsed)
        # The loop itself stopped (the signal fired), not only the cell's await.
        out = self.run_ok("const s0 = steps; await new Promise((r) => setTimeout(r, 300)); [s0 > 0, steps === s0].join()")
        self.assertEqual(self.result(out), "'true,true'")

    def test_3_async_loop_interrupt_request(self):
        reply, out, elapsed = self.interrupt_during(ASYNC_LOOP, "message")
        self.check_stopped(reply, elapsed)
        out = self.run_ok("const s1 = steps; await new Promise((r) => setTimeout(r, 300)); steps === s1")
        self.assertEqual(self.result(out), "true")

    def test_4_sync_loop_sigint(self):
        # A SIGINT that came while the cell was still being compiled would be lost for a synchronous loop
        # (Node only breaks a script on a signal that arrives while it runs): wait until it surely runs.
        reply, out, elapsed = self.interrupt_during(SYNC_LOOP, "signal", wait=3)
        self.check_stopped(reply, elapsed)
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertEqual(self.result(self.run_ok(GRADIENT)), "'6,-2'")
        self.assertEqual(self.result(self.run_ok("tf.tidy(() => tf.matMul(a, a).shape.join('x'))")), "'128x128'")

    def test_4b_tensor_results_show_values(self):
        self.assertEqual(self.result(self.run_ok("tf.tensor1d([1, 2, 3])")), "Tensor\n    [1, 2, 3]")
        self.assertEqual(self.result(self.run_ok("const gone = tf.scalar(1); gone.dispose(); gone")), "Tensor (disposed) shape=[] dtype=float32")

    def test_6_pooled_run_sigint(self):
        self.assertEqual(self.result(self.run_ok(POOLED_SETUP)), "0")
        small = "const m1 = await occlusion(net, img, { window: 16, stride: 16, batchSize: 2, workers: 2 }); [m1.shape.join('x'), poolSize()].join()"
        self.assertEqual(self.result(self.run_ok(small)), "'1x64x64,2'")
        reply, out, elapsed = self.interrupt_during(POOLED, "signal")
        self.check_stopped(reply, elapsed)
        # The run stopped and ended its workers (the kernel names the cell's error "Interrupted").
        self.assertEqual(self.result(self.run_ok("poolSize()")), "0")
        # The workers were ended; the next pooled run starts new ones, and tfjs works in the kernel.
        code = "const m2 = await occlusion(net, img, { window: 16, stride: 16, batchSize: 2, workers: 2 }); [m2.shape.join('x'), poolSize()].join()"
        self.assertEqual(self.result(self.run_ok(code)), "'1x64x64,2'")
        self.assertEqual(self.result(self.run_ok(GRADIENT)), "'6,-2'")

    def test_5_idle_interrupt_harmless(self):
        self.km.interrupt_kernel()
        time.sleep(0.3)
        self.assertEqual(self.result(self.run_ok("currentSignal()!.aborted")), "false")


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1] + ["-v"] + sys.argv[1:], exit=False).result
    print(f"RESULT tests={result.testsRun} failures={len(result.failures)} errors={len(result.errors)} skipped={len(result.skipped)}")
    sys.exit(0 if result.wasSuccessful() and not result.skipped else 1)
