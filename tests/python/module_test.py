"""The fwtax Python module's functions against the CLI (label "python"): the same rows for the same
options, and the CLI's messages as fwtax.Error for bad input. Needs no torch.

Usage: module_test.py FWTAX_BINARY SOURCE_DIR   (with the module's folder, build/python, on PYTHONPATH)
"""
import json
import os
import subprocess
import sys
import unittest

FWTAX, SOURCE = sys.argv[1], sys.argv[2]
import fwtax  # noqa: E402


def cli(*args):
    p = subprocess.run([FWTAX, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


class Functions(unittest.TestCase):
    def test_simulate_returns_the_cli_json_rows(self):
        rows = fwtax.simulate(model="bert-base,resnet18", device=["h100", "a100"], framework="pytorch-eager",
                              dtype="fp16", batch=[1, 8])
        rc, out, _ = cli("simulate", "--model", "bert-base,resnet18", "--device", "h100,a100", "--framework",
                         "pytorch-eager", "--dtype", "fp16", "--batch", "1,8", "--format", "json")
        self.assertEqual(rc, 0)
        self.assertEqual(len(rows), 8)
        self.assertEqual(rows, json.loads(out))
        self.assertTrue(all(isinstance(r, dict) and r["latency_s"] > 0 for r in rows))

    def test_keyword_names_map_to_flags(self):
        rows = fwtax.simulate(model="gpt2", phase="decode", context=[128, 512], host_x=2, measure="pipelined")
        rc, out, _ = cli("simulate", "--model", "gpt2", "--phase", "decode", "--context", "128,512", "--host-x", "2",
                         "--measure", "pipelined", "--format", "json")
        self.assertEqual(rc, 0)
        self.assertEqual(rows, json.loads(out))

    def test_project_returns_the_cli_json_rows(self):
        kw = dict(model="resnet50", devices="v100,h100,b200", framework="pytorch-eager,cuda-graphs", dtype="fp16",
                  batch="1:8", speedup=[1, 2])
        rows = fwtax.project(**kw)
        rc, out, _ = cli("project", "--model", "resnet50", "--devices", "v100,h100,b200", "--framework",
                         "pytorch-eager,cuda-graphs", "--dtype", "fp16", "--batch", "1:8", "--speedup", "1,2",
                         "--format", "json")
        self.assertEqual(rc, 0)
        self.assertEqual(rows, json.loads(out))
        self.assertGreater(len(rows), 0)

    def test_validate_returns_the_cli_json(self):
        measured = os.path.join(SOURCE, "data/measured/h100-2026-11-runs.json")
        result = fwtax.validate(measured=measured, framework="pytorch-eager")
        rc, out, _ = cli("validate", "--measured", measured, "--framework", "pytorch-eager", "--format", "json")
        self.assertEqual(rc, 0)
        self.assertEqual(result, json.loads(out))


class Errors(unittest.TestCase):
    def check_same_message(self, fn, kwargs, argv):
        rc, _, err = cli(*argv)
        self.assertEqual(rc, 2)
        with self.assertRaises(fwtax.Error) as ctx:
            fn(**kwargs)
        expected = "\n".join(line[len("fwtax: error: "):] for line in err.splitlines() if line.startswith("fwtax: error: "))
        self.assertEqual(str(ctx.exception), expected)

    def test_error_is_a_value_error(self):
        self.assertTrue(issubclass(fwtax.Error, ValueError))

    def test_unknown_model(self):
        self.check_same_message(fwtax.simulate, dict(model="bert-bsae"), ["simulate", "--model", "bert-bsae"])

    def test_bad_batch(self):
        self.check_same_message(fwtax.simulate, dict(batch=0), ["simulate", "--batch", "0"])

    def test_unknown_option(self):
        self.check_same_message(fwtax.simulate, dict(modle="bert-base"), ["simulate", "--modle", "bert-base"])

    def test_bad_dtype_in_project(self):
        self.check_same_message(fwtax.project, dict(dtype="fp8"), ["project", "--dtype", "fp8"])

    def test_missing_file(self):
        self.check_same_message(fwtax.validate, dict(measured="/nonexistent/runs.json"),
                                ["validate", "--measured", "/nonexistent/runs.json"])

    def test_format_is_refused(self):
        with self.assertRaises(fwtax.Error) as ctx:
            fwtax.simulate(format="csv")
        with self.assertRaises(fwtax.Error):
            fwtax.simulate(help=True)
        self.assertIn("return the rows", str(ctx.exception))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
