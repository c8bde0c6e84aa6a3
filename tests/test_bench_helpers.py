"""The benchmark's own baseline: the shuffled plain copy that ``rt2data mix`` is measured against (issue 14) moves
whole samples, so what it writes is as many valid samples as it read."""

from __future__ import annotations

import importlib.util
import io
import random
import tarfile
from pathlib import Path

import webdataset as wds

_BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_convert.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_convert", _BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tar(samples: list[dict]) -> bytes:
    buf = io.BytesIO()
    with wds.TarWriter(buf, mtime=0) as sink:  # PAX headers before every member
        for sample in samples:
            sink.write(sample)
    return buf.getvalue()


def test_tar_samples_are_whole_samples_in_file_order():
    rng = random.Random(3)
    samples = [{"__key__": f"{i:04d}", "jpg": rng.randbytes(rng.randrange(0, 2000)), "txt": f"caption {i}",
                **({"json": b"{}"} if i % 3 == 0 else {})} for i in range(40)]
    data = _tar(samples)
    found = _bench()._tar_samples(memoryview(data))
    assert len(found) == 40
    assert data.startswith(b"".join(found)) and not any(data[sum(map(len, found)):])  # then only the end blocks
    for sample, part in zip(samples, found):
        with tarfile.open(fileobj=io.BytesIO(bytes(part) + bytes(1024))) as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar}
        assert members == {f"{sample['__key__']}.{k}": (v.encode() if isinstance(v, str) else v)
                           for k, v in sample.items() if k != "__key__"}


def test_tar_samples_of_a_shard_written_by_rt2data(tmp_path):
    from rt2data.example import Example
    from rt2data.shards import write_shard
    from rt2data.shards.reader import iter_shard

    examples = [Example(key=f"ep{i // 5}-{i % 5}", image=b"\xff\xd8\xff" + bytes([i]) * (64 + 100 * i),
                        image_format="jpg", prompt="Q: what action should the robot take to pick? A:",
                        target=f"1 {i} 3", kind="action", source="bridge", template_id="rt2-action-v1",
                        instruction="pick", episode_id=f"ep{i // 5}", step=i % 5, action_raw=(0.5, -0.25 * i, 1.0),
                        action_tokens=(1, i, 3)) for i in range(7)]
    info = write_shard(tmp_path, "x-000000.tar", examples, fmt="wds", record_progress=False)
    found = _bench()._tar_samples(memoryview((tmp_path / info.name).read_bytes()))
    assert len(found) == 7
    for example, part in zip(reversed(examples), reversed(found)):  # each part a shard of its one example
        single = tmp_path / f"{example.key}.tar"
        single.write_bytes(bytes(part) + bytes(1024))
        assert list(iter_shard(str(single))) == [example]
