"""What cells show, on both saliency-lab kernels (the cells are valid TypeScript and JavaScript): the
fast backend from the first cell, promises shown every way without the kernel's internals, odd values
as safe text, strings as Node's REPL shows them, tracebacks that point into the cell with a caret."""
import json
import re
import sys
import time
import unittest
import uuid

from kernelutil import KernelCase

MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$", re.I)
INTERNALS = ("kResourceStore", "async_id_symbol", "trigger_async_id_symbol")


class DisplayCase(KernelCase):
    def outputs_of(self, code, **kw):
        """The cell's outputs (it must succeed), each checked: mime keys only, no internals shown."""
        outputs = self.run_ok(code, **kw)
        for m in outputs:
            for mime in m["content"].get("data", {}):
                self.assertRegex(mime, MIME, f"{code!r} shows a key that is no mime type")
            text = json.dumps(m["content"])
            for word in INTERNALS:
                self.assertNotIn(word, text, f"{code!r} shows kernel internals")
        return outputs

    def shown(self, code):
        """The text/plain of the cell's result, and the mime keys of its bundle."""
        [result] = [m["content"]["data"] for m in self.outputs_of(code) if m["msg_type"] == "execute_result"]
        return result.get("text/plain"), sorted(result)

    def test_1_fast_backend_in_the_first_cell(self):
        # Nothing called ready(): the kernel chose the backend before the first cell ran.
        text, _ = self.shown('const tf = require("@tensorflow/tfjs");\ntf.getBackend()')
        self.assertNotEqual(text, "'cpu'")
        self.assertEqual(text, "'wasm'")  # on this machine: no tfjs-node, so wasm is the best
        text, _ = self.shown('const { backendInfo } = require("saliency-lab");\nbackendInfo().name')
        self.assertEqual(text, "'wasm'")

    def test_2_promises_show_as_in_node(self):
        self.outputs_of("const sleep = (ms) => new Promise((r) => setTimeout(r, ms));")
        self.assertEqual(self.shown("sleep(50);"), ("Promise { <pending> }", ["text/plain"]))
        self.assertEqual(self.shown("async function two() { return 2; }\ntwo()")[0], "Promise { 2 }")
        self.assertEqual(self.shown("({ p: sleep(10), n: 1 })")[0], "{ p: Promise { <pending> }, n: 1 }")
        self.assertEqual(self.shown('const { inspect } = require("util");\ninspect([sleep(1)])')[0], "'[ Promise { <pending> } ]'")
        out = self.outputs_of('console.log(sleep(10));\nconsole.error([Promise.resolve(2)]);\nconsole.log(new Map([["k", sleep(1)]]));')
        self.assertEqual(self.stdout(out), "Promise { <pending> }\nMap(1) { 'k' => Promise { <pending> } }\n")
        self.assertEqual(self.stdout(out, "stderr"), "[ Promise { 2 } ]\n")
        out = self.outputs_of('const { display } = require("saliency-lab");\ndisplay(sleep(1));\ndisplay({ q: sleep(1) });')
        self.assertEqual([m["content"]["data"] for m in out if m["msg_type"] == "display_data"],
                         [{"text/plain": "Promise { <pending> }"}, {"text/plain": "{ q: Promise { <pending> } }"}])
        # From a timer the cell started (output after the cell ends), and from a comm handler.
        out = self.outputs_of('setTimeout(() => console.log("later", sleep(1)), 1);\nawait sleep(30);')
        self.assertEqual(self.stdout(out), "later Promise { <pending> }\n")
        self.outputs_of('require("saliency-lab").registerCommTarget("show.promise", (comm) => { comm.onMsg(() => console.log(sleep(1))); });')
        cid = str(uuid.uuid4())
        self.iopub_for(self.send("comm_open", {"comm_id": cid, "target_name": "show.promise", "data": {}})["header"]["msg_id"])
        out = self.iopub_for(self.send("comm_msg", {"comm_id": cid, "data": {}})["header"]["msg_id"])
        self.assertEqual(self.stdout(out), "Promise { <pending> }\n")
        for word in INTERNALS:
            self.assertNotIn(word, json.dumps([m["content"] for m in out]))

    def test_3_odd_values_show_as_safe_text(self):
        self.assertEqual(self.shown('new Proxy({}, { get() { throw new Error("trap"); } })'), ("{}", ["text/plain"]))
        self.assertEqual(self.shown("new Proxy({}, { get: () => () => [1, 2, 3] })"), ("{}", ["text/plain"]))
        self.assertEqual(self.shown("const rp = Proxy.revocable({}, {}); rp.revoke(); rp.proxy"), ("<Revoked Proxy>", ["text/plain"]))
        text, keys = self.shown('({ a: 1, toJSON() { throw new Error("no json"); } })')
        self.assertEqual((keys, "a: 1" in text), (["text/plain"], True))
        text, keys = self.shown('({ b: 2, [Symbol.for("Jupyter.display")]() { throw new Error("hook fails"); } })')
        self.assertEqual((keys, text.startswith("{ b: 2")), (["text/plain"], True))
        text, keys = self.shown('({ c: 3, [Symbol.for("nodejs.util.inspect.custom")]() { throw new Error("inspect fails"); } })')
        self.assertEqual((keys, text.startswith("{\n  c: 3") or text.startswith("{ c: 3")), (["text/plain"], True))
        text, keys = self.shown('({ [Symbol.for("Jupyter.display")]() { return { "0": "x", "text/html": "<b>ok</b>", "application/json": { toJSON() { throw new Error("j"); } } }; } })')
        self.assertEqual(keys, ["text/html"])
        out = self.outputs_of('const { display } = require("saliency-lab");\ndisplay(new Proxy({}, { get() { throw new Error("trap"); } }));')
        self.assertEqual([m["content"]["data"] for m in out if m["msg_type"] == "display_data"], [{"text/plain": "{}"}])
        # Strings as Node's REPL shows them.
        self.assertEqual(self.shown("'ab' + 'cd'")[0], "'abcd'")
        self.assertEqual(self.shown('"a\\nb"')[0], "'a\\nb'")
        self.assertEqual(self.shown('"it\'s"')[0], '"it\'s"')

    def test_4_tracebacks_point_into_the_cell(self):
        self.outputs_of('function boom(n) {\n  if (n > 1) {\n    throw new RangeError("too big: " + n);\n  }\n}')
        reply, out = self.execute_code("const k = 3;\nboom(k)")
        count = reply["content"]["execution_count"]
        [err] = [m["content"] for m in out if m["msg_type"] == "error"]
        tb = err["traceback"]
        self.assertEqual(tb[0], "RangeError: too big: 3")
        at = next(i for i, line in enumerate(tb) if "at boom (" in line)
        self.assertRegex(tb[at], r"at boom \(cell \d+:3:11\)$")
        self.assertEqual(tb[at + 1:at + 3], ['    3 |     throw new RangeError("too big: " + n);', "      |           ^"])
        here = tb.index(f"    at cell {count}:2:1")
        self.assertEqual(tb[here + 1:here + 3], ["    2 | boom(k)", "      | ^"])
        self.assertFalse(any("evalmachine" in line or "__tslab__" in line for line in tb), tb)
        # After a top-level await too.
        reply, out = self.execute_code('await sleep(1);\nJSON.parse("{")')
        [err] = [m["content"] for m in out if m["msg_type"] == "error"]
        self.assertEqual(err["ename"], "SyntaxError")
        self.assertIn("    2 | JSON.parse(\"{\")", err["traceback"])
        # A compile error shows the line and a caret under the column.
        reply, out = self.execute_code("let now = Date.now();\nnow += 'hello';")
        [err] = [m["content"] for m in out if m["msg_type"] == "error"]
        self.assertEqual(err["ename"], "CompileError")
        self.assertEqual(err["traceback"], ["2:1 - Type 'string' is not assignable to type 'number'.", "    2 | now += 'hello';", "      | ^"])


class TypeScriptDisplayTests(DisplayCase):
    kernel_name = "saliency-lab"


class JavaScriptDisplayTests(DisplayCase):
    kernel_name = "saliency-lab-js"


del DisplayCase  # only its two subclasses run

if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1] + ["-v"] + sys.argv[1:], exit=False).result
    print(f"RESULT tests={result.testsRun} failures={len(result.failures)} errors={len(result.errors)} skipped={len(result.skipped)}")
    sys.exit(0 if result.wasSuccessful() and not result.skipped else 1)
