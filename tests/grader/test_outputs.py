"""Reading the sandbox's results never trusts them: links, special files, malformed lines,
arrays whose bytes do not fit their shape, and huge arrays are refused; what is left comes
back as float64."""

import base64
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


def _encoded(array) -> dict:
    """What the harness writes for an array (grader/harness/common.py, ResultWriter)."""
    data = np.asarray(array, dtype="<f8")
    return {"shape": list(data.shape), "data": base64.b64encode(data.tobytes()).decode()}


def test_valid_arrays_come_back_as_float64_with_their_values(out):
    values = np.array([[0.0, -1.5, np.nan], [np.inf, 1e-300, 3.0]])
    _write(out, [json.dumps({"case": "c1", "status": "ok",
                             "arrays": {"y": _encoded(values), "s": _encoded(np.float64(2.5))}})])
    result = read_results(out, Limits())["c1"]
    assert result.arrays["y"].dtype == np.float64 and result.arrays["y"].shape == (2, 3)
    np.testing.assert_array_equal(result.arrays["y"], values)
    assert result.arrays["s"].shape == () and result.arrays["s"] == 2.5
    result.arrays["y"][0, 0] = 1.0  # writable: the graders may work on them in place
    assert result.record["status"] == "ok" and "arrays" not in result.record


def test_the_harness_writer_and_the_reader_agree(out):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "grader" / "harness" / "common.py"
    spec = importlib.util.spec_from_file_location("harness_common", path)
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    writer = common.ResultWriter(out / "out")
    arrays = {"a": np.arange(12, dtype=np.float32).reshape(3, 4).T, "b": np.zeros((0, 5)), "j": np.float32(1.5)}
    writer.write("c1", {"status": "ok"}, arrays)
    writer.close()
    result = read_results(out, Limits())["c1"]
    assert set(result.arrays) == {"a", "b", "j"} and not result.rejected
    np.testing.assert_array_equal(result.arrays["a"], arrays["a"])
    assert result.arrays["b"].shape == (0, 5) and result.arrays["j"].shape == ()


def test_hostile_arrays_are_refused(out):
    ok = _encoded(np.zeros(3))
    arrays = {
        "big": _encoded(np.zeros(20)),
        "short": {"shape": [4], "data": ok["data"]},
        "not_base64": {"shape": [3], "data": "!" * len(ok["data"])},
        "negative": {"shape": [-3], "data": ok["data"]},
        "huge_but_empty": {"shape": [2**62, 0], "data": ""},  # numpy would refuse the shape
        "float_shape": {"shape": [3.0], "data": ok["data"]},
        "deep": {"shape": [1] * 40, "data": base64.b64encode(b"\0" * 8).decode()},
        "pickle": {"shape": [3], "data": 123},
        "list": [1, 2, 3],
        "../x": ok,
    }
    _write(out, [json.dumps({"case": "c1", "arrays": arrays})])
    result = read_results(out, Limits(), max_elements=10)["c1"]
    assert result.arrays == {}
    assert set(result.rejected) == set(arrays) - {"../x"}
    assert "too large" in result.rejected["big"]


def test_malformed_lines_are_skipped_and_the_rest_read(out):
    _write(out, ["{not json", json.dumps([1, 2]), json.dumps({"case": "../../etc"}),
                 json.dumps({"case": "c2", "arrays": ["y"]}), "[" * 100_000, "\xff",
                 json.dumps({"case": "c3", "status": "ok"})])
    assert list(read_results(out, Limits())) == ["c3"]


def test_a_missing_linked_or_special_results_file_gives_no_results(out, tmp_path_factory):
    assert read_results(out, Limits()) == {}
    target = tmp_path_factory.mktemp("elsewhere") / "results.jsonl"
    target.write_text(json.dumps({"case": "c1"}) + "\n")
    os.symlink(target, out / "out" / "results.jsonl")
    assert read_results(out, Limits()) == {}
    os.unlink(out / "out" / "results.jsonl")
    os.mkfifo(out / "out" / "results.jsonl")  # would block a plain open() forever
    assert read_results(out, Limits()) == {}


def test_the_results_file_is_read_up_to_the_file_size_limit(out):
    line = json.dumps({"case": "c1", "status": "ok"})
    (out / "out" / "results.jsonl").write_text(line + "\n" + " " * (1024 * 1024) + "\n"
                                               + json.dumps({"case": "c2"}) + "\n")
    assert list(read_results(out, Limits(file_size_mb=1))) == ["c1"]
