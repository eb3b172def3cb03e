"""Debian's jupyter_kernel_test against both saliency-lab kernels (TypeScript and JavaScript), with a
sample for every test it has, and no output showing kernel internals (request contexts, ids).

Run with JUPYTER_PATH pointing at a folder with the saliency-lab kernelspecs; prints unittest's verbose
report. Exit status 0 only if every test passed and none was skipped.
"""
import json
import sys
import unittest

import jupyter_kernel_test as jkt

HTML_DISPLAYABLE = '({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<b>bold</b>", "text/plain": "bold" }; } })'


class Samples:
    """Samples valid in both languages; each kernel class adds its own."""

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'

    completion_samples = [
        {"text": "Math.ma", "matches": ["max"]},
        {"text": "const abcdef = 1; abcd", "matches": ["abcdef"]},
    ]
    complete_code_samples = ["1", "const x = 1;", 'console.log("hi")', "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const a = [1, 2,", "if (true) {"]
    invalid_code_samples = ["const = 1;", "let 1x = 3;", "a b c"]

    code_page_something = "Math.max?"

    code_generate_error = 'throw new Error("boom")'

    code_history_pattern = "6 ?*"
    supported_history_operations = ("tail", "range", "search")

    code_display_data = [
        {"code": 'import { display } from "saliency-lab"; display({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<i>x</i>" }; } });', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab"; tslab.display.html("<b>tslab</b>");', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab"; tslab.display.png(new Uint8Array([137, 80, 78, 71]));', "mime": "image/png"},
    ]

    code_inspect_sample = "Math.max"

    code_clear_output = 'import { clearOutput } from "saliency-lab"; console.log("soon gone"); clearOutput();'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # jupyter_kernel_test waits 15 s for a reply; the first cell also waits for tslab's compiler and the
        # tfjs backend to start (seconds, more on a loaded machine). Start them first.
        cls.kc.execute_interactive("0", timeout=120, silent=True, store_history=False)

    def execute_helper(self, code, *args, **kwargs):
        """jupyter_kernel_test's, plus: no output carries the request context, a session id or a message id."""
        reply, output_msgs = super().execute_helper(code, *args, **kwargs)
        secrets = ["kResourceStore", self.kc.session.session, reply["parent_header"]["msg_id"], reply["header"]["session"]]
        for msg in output_msgs:
            text = json.dumps(msg["content"])
            for secret in secrets:
                self.assertNotIn(secret, text, f"{msg['msg_type']} of {code!r} shows kernel internals")
        return reply, output_msgs


class TypeScriptKernelTests(Samples, jkt.KernelTests):
    kernel_name = "saliency-lab"
    language_name = "typescript"
    file_extension = ".ts"

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'ab' + 'cd'", "result": "'abcd'"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[1, 2, 3].map((x: number) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": HTML_DISPLAYABLE, "mime": "text/html", "result": "<b>bold</b>"},
    ]


class JavaScriptKernelTests(Samples, jkt.KernelTests):
    kernel_name = "saliency-lab-js"
    language_name = "javascript"
    file_extension = ".js"

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'ab' + 'cd'", "result": "'abcd'"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": "class Hello { constructor(name) { this.name = name; } }\nnew Hello('js')", "result": "Hello { name: 'js' }"},
        {"code": HTML_DISPLAYABLE, "mime": "text/html", "result": "<b>bold</b>"},
    ]


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1] + ["-v"] + sys.argv[1:], exit=False).result
    skipped = len(result.skipped)
    print(f"RESULT tests={result.testsRun} failures={len(result.failures)} errors={len(result.errors)} skipped={skipped}")
    sys.exit(0 if result.wasSuccessful() and skipped == 0 else 1)
