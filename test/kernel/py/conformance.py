"""Debian's jupyter_kernel_test against the saliency-lab kernel, with a sample for every test it has.

Run with JUPYTER_PATH pointing at a folder with the saliency-lab kernelspec; prints unittest's verbose
report. Exit status 0 only if every test passed and none was skipped.
"""
import sys
import unittest

import jupyter_kernel_test as jkt

HTML_DISPLAYABLE = '({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<b>bold</b>", "text/plain": "bold" }; } })'


class SaliencyLabKernelTests(jkt.KernelTests):
    kernel_name = "saliency-lab"
    language_name = "typescript"
    file_extension = ".ts"

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

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" + "b"', "result": "ab"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": HTML_DISPLAYABLE, "mime": "text/html", "result": "<b>bold</b>"},
    ]
    code_history_pattern = "6 ?*"
    supported_history_operations = ("tail", "range", "search")

    code_display_data = [
        {"code": 'import { display } from "saliency-lab"; display({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<i>x</i>" }; } });', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab"; tslab.display.html("<b>tslab</b>");', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab"; tslab.display.png(new Uint8Array([137, 80, 78, 71]));', "mime": "image/png"},
    ]

    code_inspect_sample = "Math.max"

    code_clear_output = 'import { clearOutput } from "saliency-lab"; console.log("soon gone"); clearOutput();'


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1] + ["-v"] + sys.argv[1:], exit=False).result
    skipped = len(result.skipped)
    print(f"RESULT tests={result.testsRun} failures={len(result.failures)} errors={len(result.errors)} skipped={skipped}")
    sys.exit(0 if result.wasSuccessful() and skipped == 0 else 1)
