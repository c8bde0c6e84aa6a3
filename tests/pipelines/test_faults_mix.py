"""``mix`` is atomic: shards reach their final names only when the whole run succeeded; a failure (a full disk)
is one line and the staged work is kept for ``--resume``."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import pytest
import webdataset as wds
from PIL import Image

from rt2data.errors import OutputError
from rt2data.mix.config import mixture_from_dict
from rt2data.pipelines import mix as mix_pipeline
from rt2data.pipelines.mix import STAGING, run_mix

pytestmark = pytest.mark.slow


def _jpeg(i: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (i * 20 % 256, 9, 9)).save(buf, format="JPEG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def mixture_file(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mixfault")
    with wds.TarWriter(str(root / "caps-000000.tar")) as sink:
        for i in range(8):
            sink.write({"__key__": f"c{i}", "jpg": _jpeg(i), "txt": f"caption {i}"})
    path = root / "mix.yaml"
    path.write_text("seed: 3\noutput: {examples: 8, shard_examples: 2, prefix: m}\n"
                    "sources:\n  - {name: caps, kind: caption, format: wds, path: caps-000000.tar, weight: 1}\n")
    return path


def _tree(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def test_full_disk_mid_mix_is_one_line_leaves_no_final_shards_and_resumes(mixture_file, tmp_path, monkeypatch,
                                                                          capsys):
    from rt2data.cli.main import main
    from rt2data.readers import iter_records

    calls = []
    real = mix_pipeline.ShardWriter

    class FillsTheDisk(real):  # the third shard's first write finds the disk full, as a real full disk would
        def add_encoded(self, data, **counted):
            if self.count == 0:
                calls.append(self.name)
            if len(calls) > 2:
                raise OSError(errno.ENOSPC, "No space left on device", str(self.tmp))
            return super().add_encoded(data, **counted)

    monkeypatch.setattr(mix_pipeline, "ShardWriter", FillsTheDisk)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:  # one worker: the disk fills in this process, after 2 shards
        main(["mix", str(mixture_file), str(out), "--workers", "1"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: no space left on device while writing "), err
    assert f"rerun with --resume (finished work is kept), or remove {out / STAGING}" in err
    assert not list(out.glob("m-*.tar")) and not (out / "manifest.json").exists()
    assert len(list((out / STAGING).glob("m-*.tar"))) == 2  # finished work kept for --resume
    assert not (out / STAGING / "spill").exists()  # the embedded engine's spill files never outlive a run
    with pytest.raises(OutputError, match="no manifest.json.*--resume"):
        list(iter_records(out))

    monkeypatch.setattr(mix_pipeline, "ShardWriter", real)
    run_mix(mixture_from_dict_file(mixture_file), out, resume=True)
    clean = tmp_path / "clean"
    run_mix(mixture_from_dict_file(mixture_file), clean)
    assert _tree(out) == _tree(clean) and not (out / STAGING).exists()
    assert sorted(_tree(out)) == ["README.md", "m-000000.tar", "m-000001.tar", "m-000002.tar", "m-000003.tar",
                                  "manifest.json"]  # README.md: the dataset card, written with the manifest


def mixture_from_dict_file(path: Path):
    import yaml

    return mixture_from_dict(yaml.safe_load(path.read_text()), base_dir=path.parent)


def test_a_full_disk_names_the_shard_and_leaves_no_temp_file(tmp_path):
    """A real full disk: a 64 kB tmpfs (needs root to mount; skipped elsewhere)."""
    import os
    import subprocess

    from rt2data.example import Example
    from rt2data.shards import write_shard

    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        examples = [Example(key=f"k{i}", image=bytes(20_000), image_format="jpg", prompt="p", target="t",
                            kind="caption", source="s", template_id="c") for i in range(8)]
        with pytest.raises(OSError) as info:
            write_shard(disk, "x-000000.tar", examples, fmt="wds")
        assert info.value.errno == errno.ENOSPC and info.value.filename == str(disk / "x-000000.tar")
        assert os.listdir(disk) == []  # the temp file is gone, so the disk is not kept full
    finally:
        subprocess.run(["umount", str(disk)], check=False)
