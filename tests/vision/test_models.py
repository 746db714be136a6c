from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cctrace.core.errors import ModelError
from cctrace.vision.models import (
    MODELS,
    SPIN_ENV,
    model_path,
    model_status,
    models_dir,
    ort_options,
    spec,
)


def test_every_model_is_registered_with_a_real_hash() -> None:
    for m in MODELS:
        assert len(m.sha256) == 64 and int(m.sha256, 16) >= 0, m.name
        assert m.source and m.licence


def test_every_model_file_is_present_and_intact() -> None:
    for m in MODELS:
        assert model_path(m.name).name == m.file


def test_missing_model_says_how_to_repair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCTRACE_MODELS", str(tmp_path))
    assert models_dir() == tmp_path
    with pytest.raises(ModelError) as info:
        model_path("yunet")
    assert "is missing" in info.value.message
    assert "make models" in info.value.message
    assert model_status("yunet") == "missing"


def test_altered_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = model_path("yunet")
    altered = tmp_path / original.name
    shutil.copyfile(original, altered)
    with altered.open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setenv("CCTRACE_MODELS", str(tmp_path))
    with pytest.raises(ModelError) as info:
        model_path("yunet")
    assert "altered" in info.value.message and str(altered) in info.value.message
    assert model_status("yunet") == "altered"


def test_unknown_model_name() -> None:
    with pytest.raises(ModelError, match="unknown model"):
        spec("yolo-nonexistent")


def test_onnx_runtime_threads_do_not_spin_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPIN_ENV, raising=False)
    options = ort_options(2)
    assert options.intra_op_num_threads == 2
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    monkeypatch.setenv(SPIN_ENV, "1")
    assert ort_options().get_session_config_entry("session.intra_op.allow_spinning") == "1"
