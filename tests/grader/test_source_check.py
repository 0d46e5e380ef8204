"""Files that are not usable Python get one clear reason; nothing is executed to find out."""

from grader.source_check import check_source


def test_usable_source_passes(reference_source):
    check = check_source("mlp.py", reference_source.encode())
    assert check.source == reference_source and not check.problem


def test_empty_binary_and_non_utf8_are_unusable():
    assert check_source("mlp.py", b"  \n\n").problem == "mlp.py is empty"
    assert "binary" in check_source("mlp.py", b"\x7fELF\x00\x01").problem
    latin1 = check_source("mlp.py", "x = 1\n# café\n".encode("latin-1"))
    assert latin1.unusable and "not UTF-8" in latin1.problem and "line 2" in latin1.problem


def test_syntax_error_shows_the_students_line():
    check = check_source("mlp.py", b"import torch\n\ndef forward(x)\n    return x\n")
    assert not check.unusable
    assert "line 3" in check.problem and "def forward(x)" in check.problem


def test_source_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    check_source("mlp.py", f"open({str(marker)!r}, 'w').write('x')\n".encode())
    assert not marker.exists()
