"""Helpers for the kernel tests: a started saliency-lab kernel and ways to talk to it."""
import json
import os
import time
import unittest
from queue import Empty

from jupyter_client.manager import start_new_kernel

TIMEOUT = 30


class KernelCase(unittest.TestCase):
    """One saliency-lab kernel for the whole class (a kernel start costs a second or two).

    Every message read is checked to show no kernel internals: no request context, no session or
    message id in its content."""

    kernel_name = "saliency-lab"

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, cwd=os.environ.get("KERNEL_CWD") or os.getcwd())
        cls.pending = []  # iopub messages read while looking for another parent's

    def check_no_internals(self, m):
        text = json.dumps(m["content"])
        for secret in ("kResourceStore", self.kc.session.session, m["header"]["session"], m["parent_header"].get("msg_id")):
            if secret:
                self.assertNotIn(secret, text, f"a {m['msg_type']} message shows kernel internals")

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=False)

    # -- sending ------------------------------------------------------------------------------------
    def send(self, msg_type, content, buffers=None, channel="shell"):
        sock = getattr(self.kc, f"{channel}_channel").socket
        return self.kc.session.send(sock, msg_type, content, buffers=buffers)

    # -- receiving ----------------------------------------------------------------------------------
    def iopub_for(self, parent_id, timeout=TIMEOUT, until_idle=True):
        """Iopub messages whose parent is `parent_id`, until its idle status (excluded busy/idle)."""
        out = []
        deadline = time.time() + timeout
        keep = []
        for m in self.pending:
            if m["parent_header"].get("msg_id") == parent_id:
                out.append(m)
            else:
                keep.append(m)
        self.__class__.pending = keep
        if until_idle and any(m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" for m in out):
            return [m for m in out if m["msg_type"] != "status"]
        while time.time() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=max(0.05, deadline - time.time()))
            except Empty:
                break
            self.check_no_internals(m)
            if m["parent_header"].get("msg_id") != parent_id:
                self.pending.append(m)
                continue
            out.append(m)
            if until_idle and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return [m for m in out if m["msg_type"] != "status"]
        if until_idle:
            raise AssertionError(f"no idle status for {parent_id} within {timeout}s; got {[m['msg_type'] for m in out]}")
        return [m for m in out if m["msg_type"] != "status"]

    def shell_reply(self, parent_id, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while True:
            m = self.kc.get_shell_msg(timeout=max(0.05, deadline - time.time()))
            self.check_no_internals(m)
            if m["parent_header"].get("msg_id") == parent_id:
                return m

    def execute_code(self, code, timeout=TIMEOUT, **kw):
        msg_id = self.kc.execute(code, **kw)
        reply = self.shell_reply(msg_id, timeout)
        outputs = self.iopub_for(msg_id, timeout)
        return reply, outputs

    def run_ok(self, code, **kw):
        reply, outputs = self.execute_code(code, **kw)
        errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
        self.assertEqual(reply["content"]["status"], "ok", f"{code!r} failed: {errors}")
        return outputs

    @staticmethod
    def stdout(outputs, name="stdout"):
        return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == name)

    @staticmethod
    def result(outputs):
        for m in outputs:
            if m["msg_type"] == "execute_result":
                return m["content"]["data"]["text/plain"]
        return None
