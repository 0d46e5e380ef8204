"""Reading the sandbox's results never trusts them: links, pickles, odd dtypes, huge arrays
and malformed lines are refused, and what is left comes back as float64."""

import json
import os

import numpy as np
import pytest

from grader.outputs import read_results
from grader.sandbox.limits import Limits


@pytest.fixture
def out(tmp_path):
    (tmp_path / "out").mkdir()
    return tmp_path


def _write(out, lines):
    (out / "out" / "results.jsonl").write_text("\n".join(lines) + "\n")


def test_valid_arrays_come_back_as_float64(out):
    np.save(out / "out" / "c1.y.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    _write(out, [json.dumps({"case": "c1", "status": "ok", "arrays": ["y"]})])
    result = read_results(out, Limits())["c1"]
    assert result.arrays["y"].dtype == np.float64 and result.arrays["y"].shape == (2, 3)
    assert result.record["status"] == "ok"


def test_hostile_files_are_refused(out):
    d = out / "out"
    os.symlink("/dev/zero", d / "c1.link.npy")
    np.save(d / "c1.obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(d / "c1.text.npy", np.array(["x"]))
    np.save(d / "c1.big.npy", np.zeros(20))
    (d / "c1.junk.npy").write_bytes(b"not an npy file")
    _write(out, [json.dumps({"case": "c1", "arrays": ["link", "obj", "text", "big", "junk", "../x"]})])
    result = read_results(out, Limits(), max_elements=10)["c1"]
    assert result.arrays == {}
    assert set(result.rejected) == {"link", "obj", "text", "big", "junk"}


def test_malformed_lines_are_skipped_and_the_rest_read(out):
    _write(out, ["{not json", json.dumps([1, 2]), json.dumps({"case": "../../etc"}),
                 json.dumps({"case": "c2", "arrays": "y"}), "x" * 100_000,
                 json.dumps({"case": "c3", "status": "ok"})])
    assert list(read_results(out, Limits())) == ["c3"]


def test_a_missing_or_linked_results_file_gives_no_results(out, tmp_path_factory):
    assert read_results(out, Limits()) == {}
    target = tmp_path_factory.mktemp("elsewhere") / "results.jsonl"
    target.write_text(json.dumps({"case": "c1"}) + "\n")
    os.symlink(target, out / "out" / "results.jsonl")
    assert read_results(out, Limits()) == {}
