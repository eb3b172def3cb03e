"""The saliency-lab kernel through a real Jupyter client (jupyter_client): comms both ways with binary
buffers, comm_info, closing from both sides, stdin, displays, stop_on_error, robustness to bad input."""
import struct
import sys
import time
import unittest
import uuid
from queue import Empty

from jupyter_client.session import Session

from kernelutil import KernelCase

ECHO_TARGET = r'''
import { registerCommTarget } from "saliency-lab";
registerCommTarget("test.echo", (comm, open) => {
  comm.send({ opened: open.data, nbuf: open.buffers.length });
  comm.onMsg((m) => {
    console.log("got " + JSON.stringify(m.data));
    comm.send({ echo: m.data, sizes: m.buffers.map((b) => b.length) }, { buffers: m.buffers.map((b) => Uint8Array.from(b, (x) => 255 - x)) });
  });
  comm.onClose((m) => console.log("closed by front end " + JSON.stringify(m.data)));
});
registerCommTarget("test.throws", () => { throw new Error("handler failed on purpose"); });
'''

KERNEL_OPEN = r'''
import { openComm } from "saliency-lab";
const kcomm = openComm("test.fromkernel", { v: 1 }, { buffers: [new Float32Array([1.5, -2])] });
kcomm.onMsg((m) => {
  const b = m.buffers[0];
  const f = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  kcomm.send({ back: m.data, floats: Array.from(f) }, { buffers: [new Float64Array(Array.from(f, (x) => x * 10))] });
});
'''


class ProtocolTests(KernelCase):
    def comm_msgs(self, outputs, msg_type):
        return [m for m in outputs if m["msg_type"] == msg_type]

    def test_1_comm_opened_by_front_end(self):
        self.run_ok(ECHO_TARGET)
        comm_id = str(uuid.uuid4())
        open_msg = self.send("comm_open", {"comm_id": comm_id, "target_name": "test.echo", "data": {"hello": 1}}, buffers=[b"\x01\x02\x03"])
        out = self.iopub_for(open_msg["header"]["msg_id"])
        [reply] = self.comm_msgs(out, "comm_msg")
        self.assertEqual(reply["content"]["comm_id"], comm_id)
        self.assertEqual(reply["content"]["data"], {"opened": {"hello": 1}, "nbuf": 1})

        info = self.kc.comm_info()
        comms = self.shell_reply(info)["content"]["comms"]
        self.assertEqual(comms.get(comm_id), {"target_name": "test.echo"})

        msg = self.send("comm_msg", {"comm_id": comm_id, "data": {"x": [1, 2]}}, buffers=[bytes(range(10)), b"abc"])
        out = self.iopub_for(msg["header"]["msg_id"])
        [echo] = self.comm_msgs(out, "comm_msg")
        self.assertEqual(echo["content"]["data"], {"echo": {"x": [1, 2]}, "sizes": [10, 3]})
        self.assertEqual([bytes(b) for b in echo["buffers"]], [bytes(255 - i for i in range(10)), bytes(255 - c for c in b"abc")])
        # Output of a comm handler is parented to the comm message that triggered it.
        self.assertIn('got {"x":[1,2]}', self.stdout(out))

        close = self.send("comm_close", {"comm_id": comm_id, "data": {"bye": True}})
        out = self.iopub_for(close["header"]["msg_id"])
        self.assertIn('closed by front end {"bye":true}', self.stdout(out))
        comms = self.shell_reply(self.kc.comm_info())["content"]["comms"]
        self.assertNotIn(comm_id, comms)

    def test_2_comm_opened_by_kernel(self):
        reply, out = self.execute_code(KERNEL_OPEN)
        self.assertEqual(reply["content"]["status"], "ok", out)
        [opened] = self.comm_msgs(out, "comm_open")
        comm_id = opened["content"]["comm_id"]
        self.assertEqual(opened["content"]["target_name"], "test.fromkernel")
        self.assertEqual(opened["content"]["data"], {"v": 1})
        self.assertEqual(struct.unpack("<2f", bytes(opened["buffers"][0])), (1.5, -2.0))

        comms = self.shell_reply(self.kc.comm_info(target_name="test.fromkernel"))["content"]["comms"]
        self.assertEqual(comms, {comm_id: {"target_name": "test.fromkernel"}})

        msg = self.send("comm_msg", {"comm_id": comm_id, "data": {"q": "?"}}, buffers=[struct.pack("<3f", 1, 2, 3)])
        out = self.iopub_for(msg["header"]["msg_id"])
        [back] = self.comm_msgs(out, "comm_msg")
        self.assertEqual(back["content"]["data"], {"back": {"q": "?"}, "floats": [1, 2, 3]})
        self.assertEqual(struct.unpack("<3d", bytes(back["buffers"][0])), (10.0, 20.0, 30.0))

        # Closed from the kernel side.
        out = self.run_ok('kcomm.close({ done: true }); kcomm.closed')
        [closed] = self.comm_msgs(out, "comm_close")
        self.assertEqual(closed["content"], {"comm_id": comm_id, "data": {"done": True}})
        self.assertEqual(self.result(out), "true")
        comms = self.shell_reply(self.kc.comm_info())["content"]["comms"]
        self.assertNotIn(comm_id, comms)
        reply, out = self.execute_code('kcomm.send({ late: true })')
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KernelError")

    def test_3_unknown_comm_and_target_and_failing_handler(self):
        msg = self.send("comm_msg", {"comm_id": "no-such-comm", "data": {}})
        self.assertEqual(self.iopub_for(msg["header"]["msg_id"]), [])
        msg = self.send("comm_close", {"comm_id": "no-such-comm", "data": {}})
        self.assertEqual(self.iopub_for(msg["header"]["msg_id"]), [])
        cid = str(uuid.uuid4())
        msg = self.send("comm_open", {"comm_id": cid, "target_name": "no.such.target", "data": {}})
        out = self.iopub_for(msg["header"]["msg_id"])
        self.assertEqual([(m["msg_type"], m["content"]["comm_id"]) for m in out], [("comm_close", cid)])
        msg = self.send("comm_open", {"comm_id": str(uuid.uuid4()), "target_name": "test.throws", "data": {}})
        out = self.iopub_for(msg["header"]["msg_id"])
        self.assertIn("handler failed on purpose", self.stdout(out, "stderr"))
        self.assertEqual(self.result(self.run_ok("1 + 1")), "2")

    def test_4_wrong_key_bad_json_unknown_type(self):
        before = self.shell_reply(self.kc.execute("0"))["content"]["execution_count"]
        # A message signed with the wrong key is dropped: no reply, nothing runs.
        wrong = Session(key=b"not-the-key", username="intruder")
        bad = wrong.send(self.kc.shell_channel.socket, "execute_request",
                         {"code": 'console.log("SHOULD NOT RUN")', "silent": False, "store_history": True,
                          "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        # Bad JSON with a valid signature, and a message with too few parts: dropped.
        parts = [b"{not json", b"{}", b"{}", b"{}"]
        sig = self.kc.session.sign(parts)
        self.kc.shell_channel.socket.send_multipart([b"<IDS|MSG>", sig] + parts)
        self.kc.shell_channel.socket.send_multipart([b"<IDS|MSG>", b"x"])
        with self.assertRaises(Empty):
            self.kc.get_shell_msg(timeout=1.5)
        # An unknown request type gets an error reply; the kernel goes on.
        unknown = self.send("frobnicate_request", {})
        reply = self.shell_reply(unknown["header"]["msg_id"])
        self.assertEqual(reply["msg_type"], "frobnicate_reply")
        self.assertEqual(reply["content"]["status"], "error")
        self.iopub_for(unknown["header"]["msg_id"])
        reply, out = self.execute_code('console.log("alive")')
        self.assertEqual(reply["content"]["execution_count"], before + 1)
        self.assertEqual(self.stdout(out), "alive\n")
        self.assertNotIn(bad["header"]["msg_id"], [m["parent_header"].get("msg_id") for m in self.pending])

    def test_5_stdin(self):
        code = 'import { input } from "saliency-lab"; const who = await input("Name? "); console.log("hi " + who)'
        msg_id = self.kc.execute(code, allow_stdin=True)
        req = self.kc.get_stdin_msg(timeout=30)
        self.assertEqual(req["msg_type"], "input_request")
        self.assertEqual(req["content"]["prompt"], "Name? ")
        self.assertEqual(req["parent_header"]["msg_id"], msg_id)
        self.kc.input("Ada")
        self.assertEqual(self.shell_reply(msg_id)["content"]["status"], "ok")
        self.assertIn("hi Ada", self.stdout(self.iopub_for(msg_id)))
        reply, out = self.execute_code('await input("again? ")', allow_stdin=False)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("allow_stdin", reply["content"]["evalue"])

    def test_6_display_and_results(self):
        code = r'''
import { display } from "saliency-lab";
const box = (html: string) => ({ [Symbol.for("Jupyter.display")]() { return { "text/html": html, "text/plain": html }; } });
display(box("<p>first</p>"), { displayId: "d1" });
display(box("<p>second</p>"), { displayId: "d1", update: true });
({ [Symbol.for("Jupyter.display")]() { return { "application/vnd.jupyter.widget-view+json": { model_id: "m1", version_major: 2, version_minor: 1 }, "text/plain": "Widget" }; } })
'''
        out = self.run_ok(code)
        kinds = [m["msg_type"] for m in out]
        self.assertEqual(kinds, ["execute_input", "display_data", "update_display_data", "execute_result"])
        self.assertEqual(out[1]["content"]["transient"], {"display_id": "d1"})
        self.assertEqual(out[2]["content"]["data"]["text/html"], "<p>second</p>")
        self.assertEqual(out[3]["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"], "m1")

    def test_6b_viz_pictures_and_figures_show(self):
        code = r'''
import { heatmap, heatmapFigure, show } from "saliency-lab";
const map = { data: Float32Array.from({ length: 64 }, (_, i) => i / 63), shape: [8, 8] };
await show(await heatmap(map));
await heatmapFigure(map)
'''
        out = self.run_ok(code)
        [shown] = [m for m in out if m["msg_type"] == "display_data"]
        self.assertTrue(shown["content"]["data"]["image/png"].startswith("iVBORw0KGgo"))  # base64 of the PNG signature
        [figure] = [m for m in out if m["msg_type"] == "execute_result"]
        self.assertIn("application/vnd.plotly.v1+json", figure["content"]["data"])

    def test_7_saliency_lab_import_and_background_errors(self):
        out = self.run_ok('import { backendInfo, ready } from "saliency-lab"; await ready(); backendInfo().name')
        self.assertIn(self.result(out), ("'wasm'", "'cpu'", "'node'", "'node-gpu'"))
        # An error thrown later from a timer, and an unhandled rejection, do not kill the kernel.
        self.run_ok('setTimeout(() => { throw new Error("late failure"); }, 10); Promise.reject(new Error("nobody catches me")); 1')
        time.sleep(0.5)
        out = self.run_ok('"still here"')
        self.assertEqual(self.result(out), "'still here'")
        late = self.stdout(self.pending + out, "stderr")
        self.assertIn("late failure", late)
        self.assertIn("nobody catches me", late)

    def test_8_stop_on_error(self):
        a = self.kc.execute('throw new Error("first fails")')
        b = self.kc.execute('console.log("queued: must be aborted")')
        ra, rb = self.shell_reply(a), self.shell_reply(b)
        self.assertEqual(ra["content"]["status"], "error")
        self.assertEqual(rb["content"]["status"], "aborted")
        self.assertEqual(self.stdout(self.iopub_for(b)), "")
        out = self.iopub_for(a)
        [err] = [m for m in out if m["msg_type"] == "error"]
        self.assertEqual((err["content"]["ename"], err["content"]["evalue"]), ("Error", "first fails"))
        self.assertTrue(err["content"]["traceback"])
        # With stop_on_error false the next request runs; a request sent after an error runs at once.
        a = self.kc.execute('throw new Error("again")', stop_on_error=False)
        b = self.kc.execute('console.log("runs")')
        self.assertEqual(self.shell_reply(a)["content"]["status"], "error")
        self.assertEqual(self.shell_reply(b)["content"]["status"], "ok")
        self.iopub_for(a)
        self.assertEqual(self.stdout(self.iopub_for(b)), "runs\n")
        self.assertEqual(self.result(self.run_ok("2 + 3")), "5")

    def test_8a_silent_heartbeat_tslab_updates(self):
        before = self.shell_reply(self.kc.execute("1"))["content"]["execution_count"]
        self.pending.clear()
        msg_id = self.kc.execute('console.log("quiet"); 5 * 5', silent=True)
        reply = self.shell_reply(msg_id)
        out = self.iopub_for(msg_id)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual([m["msg_type"] for m in out], ["stream"])  # no execute_input, no execute_result
        self.assertEqual(self.shell_reply(self.kc.execute("2"))["content"]["execution_count"], before + 1)
        # tslab's updatable displays keep working.
        out = self.run_ok('import * as tslab from "tslab"; const d = tslab.newDisplay(); d.text("one"); d.text("two");')
        kinds = [(m["msg_type"], m["content"].get("data", {}).get("text/plain")) for m in out if "display" in m["msg_type"]]
        self.assertEqual(kinds, [("display_data", "one"), ("update_display_data", "two")])
        self.assertEqual(out[-1]["content"]["transient"]["display_id"], out[-2]["content"]["transient"]["display_id"])
        # The heartbeat echoes.
        import zmq
        sock = zmq.Context.instance().socket(zmq.REQ)
        sock.connect(f"tcp://{self.km.ip}:{self.km.hb_port}")
        sock.send(b"ping")
        self.assertEqual(sock.poll(5000), zmq.POLLIN)
        self.assertEqual(sock.recv(), b"ping")
        sock.close(linger=0)

    def test_8c_help_pager_and_history(self):
        msg_id = self.kc.execute("Math.max?")
        reply = self.shell_reply(msg_id)
        self.iopub_for(msg_id)
        [page] = reply["content"]["payload"]
        self.assertEqual(page["source"], "page")
        self.assertIn("Math.max(...values: number[]): number", page["data"]["text/plain"])
        self.assertIn("Returns the larger of a set of supplied numeric expressions.", page["data"]["text/plain"])
        self.run_ok("const hist = 'marker-cell'; hist")
        hist = self.shell_reply(self.kc.history(hist_access_type="search", pattern="*marker-cell*", output=True, raw=True))
        [[session, line, (code, output)]] = hist["content"]["history"]
        self.assertEqual((code, output), ("const hist = 'marker-cell'; hist", "'marker-cell'"))

    def test_8b_user_expressions(self):
        msg_id = self.kc.execute("const ue = 20;", user_expressions={"double": "ue * 2", "bad": "ue.nope()"})
        reply = self.shell_reply(msg_id)
        self.iopub_for(msg_id)
        exprs = reply["content"]["user_expressions"]
        self.assertEqual(exprs["double"], {"status": "ok", "data": {"text/plain": "40"}, "metadata": {}})
        self.assertEqual(exprs["bad"]["status"], "error")
        self.assertEqual(exprs["bad"]["ename"], "CompileError")

    def test_9_restart(self):
        self.km.restart_kernel(now=False)
        self.kc.wait_for_ready(timeout=30)
        self.__class__.pending = []
        reply, out = self.execute_code("kcomm")
        self.assertEqual(reply["content"]["execution_count"], 1)
        self.assertEqual(reply["content"]["ename"], "CompileError")
        self.assertIn("Cannot find name 'kcomm'", reply["content"]["evalue"])
        self.assertEqual(self.result(self.run_ok("40 + 2")), "42")


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1] + ["-v"] + sys.argv[1:], exit=False).result
    print(f"RESULT tests={result.testsRun} failures={len(result.failures)} errors={len(result.errors)} skipped={len(result.skipped)}")
    sys.exit(0 if result.wasSuccessful() and not result.skipped else 1)
