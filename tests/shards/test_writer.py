"""Shard writing: round trips in both formats, byte-identical re-writes, splitting, atomicity."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rt2data.errors import ConfigError
from rt2data.example import Example
from rt2data.shards import (
    ShardingPlan,
    encode_example,
    iter_examples,
    iter_shard,
    shard_name,
    write_shard,
    write_shard_at,
    write_shards,
)
from rt2data.shards.formats.wds import tar_end_size

texts = st.text(min_size=1, max_size=20)


@st.composite
def example_lists(draw, max_size: int = 12) -> list[Example]:
    """Examples with unique keys, every kind, optional fields present or not (local strategy)."""
    n = draw(st.integers(0, max_size))
    out = []
    for i in range(n):
        kind = draw(st.sampled_from(["action", "caption", "vqa"]))
        dims = draw(st.integers(1, 8))
        action = kind == "action"
        out.append(Example(
            key=f"{draw(st.from_regex(r'[A-Za-z0-9][A-Za-z0-9_-]{0,10}', fullmatch=True))}-{i}",
            image=draw(st.binary(min_size=1, max_size=300)),
            image_format=draw(st.sampled_from(["jpg", "png", "webp", "gif", "bmp", "tiff"])),
            prompt=draw(texts), target=draw(texts), kind=kind, source=draw(st.sampled_from(["a", "b", "web"])),
            template_id=draw(texts), instruction=draw(st.none() | st.text(max_size=20)),
            plan=draw(st.none() | texts),
            episode_id=draw(texts) if action else None, step=draw(st.integers(0, 10**9)) if action else None,
            action_raw=tuple(draw(st.lists(st.floats(allow_nan=False), min_size=dims, max_size=dims)))
            if action else None,
            action_tokens=tuple(draw(st.lists(st.integers(0, 255), min_size=dims, max_size=dims))) if action else None,
        ))
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exs=example_lists(), fmt=st.sampled_from(["wds", "tfrecord"]), shard_examples=st.none() | st.integers(1, 5),
       shard_bytes=st.none() | st.integers(1, 30000))
def test_round_trip_and_split_property(exs, fmt, shard_examples, shard_bytes):
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        infos = write_shards(out, exs, fmt=fmt, prefix="p", shard_examples=shard_examples, shard_bytes=shard_bytes)
        assert list(iter_examples([out / i.name for i in infos], verify=True)) == exs
        assert [i.name for i in infos] == [shard_name("p", k, fmt) for k in range(len(infos))]
        assert sum(i.count for i in infos) == len(exs)
        for info in infos:
            path = out / info.name
            assert info.bytes == path.stat().st_size and info.sha256 == _sha(path)
            assert info.count >= 1
            if shard_examples is not None:
                assert info.count <= shard_examples
            if shard_bytes is not None and info.count > 1:
                assert info.bytes <= shard_bytes
        # Greedy: a shard closed early only because the next example would not fit.
        position = 0
        for a in infos[:-1]:
            members = sum(len(encode_example(e, fmt)) for e in exs[position : position + a.count])
            position += a.count
            assert a.bytes == members + (tar_end_size(members) if fmt == "wds" else 0)
            if shard_examples is None or a.count < shard_examples:
                grown = members + len(encode_example(exs[position], fmt))
                assert shard_bytes is not None and grown + (tar_end_size(grown) if fmt == "wds" else 0) > shard_bytes
        assert sorted(out.iterdir()) == sorted(out / i.name for i in infos)  # no temp files left


@pytest.mark.parametrize("fmt", ["wds", "tfrecord"])
def test_byte_identical_rewrite_and_metadata(tmp_path, fmt):
    exs = [Example(key=f"k{i}", image=bytes([i]) * (50 + i), image_format="png", prompt="p", target=f"t{i}",
                   kind="vqa" if i % 3 else "caption", source="s1" if i < 4 else "s2", template_id="vqa-v1")
           for i in range(10)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_shards(tmp_path / "a", exs, fmt=fmt, prefix="x", shard_examples=4)
    second = write_shards(tmp_path / "b", iter(exs), fmt=fmt, prefix="x", shard_examples=4)
    assert first == second
    for info in first:
        assert (tmp_path / "a" / info.name).read_bytes() == (tmp_path / "b" / info.name).read_bytes()
    assert [i.count for i in first] == [4, 4, 2]
    assert (first[0].first_key, first[0].last_key) == ("k0", "k3")
    assert first[0].counts_by_source == {"s1": 4} and first[1].counts_by_source == {"s2": 4}
    assert first[0].counts_by_kind == {"caption": 2, "vqa": 2}
    assert first[0].to_json_dict()["counts_by_kind"] == {"caption": 2, "vqa": 2}


def test_shard_bytes_limit_exact(tmp_path):
    exs = [Example(key=f"k{i}", image=b"x" * 3000, image_format="jpg", prompt="p", target="t", kind="caption",
                   source="s", template_id="c") for i in range(7)]
    sizes = [len(encode_example(e, "tfrecord")) for e in exs]
    limit = 3 * sizes[0]  # exactly three records fit
    infos = write_shards(tmp_path, exs, fmt="tfrecord", prefix="b", shard_bytes=limit)
    assert [i.count for i in infos] == [3, 3, 1] and infos[0].bytes == limit
    infos = write_shards(tmp_path, exs, fmt="tfrecord", prefix="c", shard_bytes=limit - 1)
    assert [i.count for i in infos] == [2, 2, 2, 1]
    infos = write_shards(tmp_path, exs[:2], fmt="tfrecord", prefix="d", shard_bytes=10)  # one example per shard
    assert [i.count for i in infos] == [1, 1]
    tar = write_shards(tmp_path, exs, fmt="wds", prefix="e", shard_bytes=20480)
    assert all(i.bytes <= 20480 for i in tar) and sum(i.count for i in tar) == 7 and len(tar) > 1


def test_start_index_and_write_shard_at(tmp_path):
    exs = [Example(key=f"k{i}", image=b"i", image_format="jpg", prompt="p", target="t", kind="caption",
                   source="s", template_id="c") for i in range(3)]
    infos = write_shards(tmp_path, exs, fmt="wds", prefix="x", shard_examples=2, start_index=7)
    assert [i.name for i in infos] == ["x-000007.tar", "x-000008.tar"]
    info = write_shard_at(tmp_path, exs[:1], index=12, fmt="tfrecord", prefix="x")
    assert info.name == "x-000012.tfrecord" and [e.key for e in iter_shard(tmp_path / info.name)] == ["k0"]
    empty = write_shard(tmp_path, "y-000000.tar", [], fmt="wds")
    assert (empty.count, empty.first_key, empty.bytes) == (0, None, 10240)
    assert list(iter_shard(tmp_path / "y-000000.tar")) == []
    assert write_shards(tmp_path, [], fmt="wds", prefix="z") == []


class Boom(RuntimeError):
    pass


@pytest.mark.parametrize("fmt", ["wds", "tfrecord"])
def test_atomic_no_final_name_until_complete(tmp_path, fmt):
    seen = []

    def stream():
        for i in range(5):
            ex = Example(key=f"k{i}", image=b"i" * 100, image_format="jpg", prompt="p", target="t", kind="caption",
                         source="s", template_id="c")
            if i == 3:
                # Mid-stream: shard 1 is being written under a temp name only.
                seen.append(sorted(p.name for p in tmp_path.iterdir()))
                raise Boom("input failed")
            yield ex

    with pytest.raises(Boom):
        write_shards(tmp_path, stream(), fmt=fmt, prefix="x", shard_examples=2)
    ext = "tar" if fmt == "wds" else "tfrecord"
    (during,) = seen
    assert len(during) == 2 and during[1] == f"x-000000.{ext}" and during[0].startswith(f".x-000001.{ext}.tmp-")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"x-000000.{ext}"]  # complete shard kept, temp removed
    with pytest.raises(Boom):
        write_shard(tmp_path, f"y-000000.{ext}", stream(), fmt=fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"x-000000.{ext}"]


def test_plan_validation_and_index():
    with pytest.raises(ConfigError, match="shard_examples"):
        ShardingPlan(shard_examples=0)
    with pytest.raises(ConfigError, match="shard_bytes"):
        ShardingPlan(shard_bytes=-5)
    assert [ShardingPlan(shard_examples=3).shard_index(p) for p in range(7)] == [0, 0, 0, 1, 1, 1, 2]
    with pytest.raises(ConfigError, match="count-only"):
        ShardingPlan(shard_examples=3, shard_bytes=100).shard_index(0)
    with pytest.raises(ConfigError, match="unknown shard format"):
        shard_name("x", 0, "parquet")
    with pytest.raises(ConfigError, match="prefix"):
        shard_name("../x", 0, "wds")


def test_missing_output_dir_is_output_error(tmp_path):
    from rt2data.errors import OutputError

    with pytest.raises(OutputError, match="does not exist"):
        write_shards(tmp_path / "nope", [Example(key="k", image=b"i", image_format="jpg", prompt="p", target="t",
                                                 kind="caption", source="s", template_id="c")],
                     fmt="wds", prefix="x")


def _caption(i: int) -> Example:
    return Example(key=f"k{i}", image=bytes(3000 + i), image_format="jpg", prompt="p", target=f"t{i}",
                   kind="caption", source="s", template_id="c")


@pytest.mark.parametrize("batch_bytes", [1, 1 << 20])
def test_a_syncer_gives_the_same_shards_durable_when_it_returns(tmp_path, monkeypatch, batch_bytes):
    """Shards written with a Syncer are hashed, written, fsynced and renamed on its thread (in batches of one
    example, or of a whole small shard): same bytes and records as inline."""
    from rt2data.shards import writer
    from rt2data.shards.files import Syncer
    from rt2data.shards.writer import write_shards_multi

    monkeypatch.setattr(writer, "_BATCH_BYTES", batch_bytes)

    examples = [_caption(i) for i in range(10)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    inline = write_shards_multi(tmp_path / "a", examples, formats=["wds", "tfrecord"], prefix="x",
                                shard_examples=3, record_progress=False)
    with Syncer() as syncer:
        synced = write_shards_multi(tmp_path / "b", examples, formats=["wds", "tfrecord"], prefix="x",
                                    shard_examples=3, record_progress=False, syncer=syncer)
    assert synced == inline and len(synced["wds"]) == 4
    assert {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}


@pytest.mark.parametrize("with_syncer", [False, True])
def test_local_shards_are_written_around_the_page_cache_with_the_same_bytes(tmp_path, monkeypatch, with_syncer):
    """A local shard is written with O_DIRECT where the file system allows it (rt2data.io.direct); written so or
    through the page cache (RT2DATA_DIRECT_WRITES=0), its bytes and records are the same."""
    from rt2data.io import direct
    from rt2data.shards.files import Syncer
    from rt2data.shards.writer import write_shards_multi

    opened = []
    real_open = direct.open_direct

    def open_direct(path, **kwargs):
        f = real_open(path, **kwargs)
        opened.append(isinstance(f, direct.DirectFile) and f.direct)
        return f

    monkeypatch.setattr(direct, "open_direct", open_direct)
    # ~1.3 MB shards: whole direct buffers, then a tail; small and large members
    examples = [Example(key=f"k{i}", image=bytes([i]) * (250_000 if i % 3 == 0 else 2_000 + i), image_format="jpg",
                        prompt="p", target=f"t{i}", kind="caption", source="s", template_id="c") for i in range(30)]
    written = {}
    for mode in ("1", "0"):
        monkeypatch.setenv(direct.ENV, mode)
        out = tmp_path / mode
        out.mkdir()
        opened.clear()
        with Syncer() if with_syncer else contextlib.nullcontext() as syncer:
            written[mode] = write_shards_multi(out, examples, formats=["wds", "tfrecord"], prefix="x",
                                               shard_examples=15, record_progress=False, syncer=syncer)
        assert len(opened) == 4
        if mode == "0":
            assert not any(opened)
        elif direct.enabled() and not any(opened):
            pytest.skip(f"{tmp_path}: this file system refuses O_DIRECT")
        else:
            assert all(opened)
    assert written["1"] == written["0"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "1").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "0").iterdir()}


@pytest.mark.parametrize("failing", ["fsync", "write"])
def test_a_failed_background_write_or_fsync_names_the_shard_and_leaves_no_file(tmp_path, monkeypatch, failing):
    """The syncer's thread hashes, writes and fsyncs: a full disk there is raised with the shard's name, and no
    shard or temp file is left."""
    import errno
    import os
    import threading

    from rt2data.shards import files
    from rt2data.shards.files import Syncer
    from rt2data.shards.writer import write_shards_multi

    def on_sync_thread() -> bool:
        return threading.current_thread().name.startswith("rt2data-sync")

    if failing == "fsync":
        real_fsync = os.fsync

        def fsync(fd):
            if on_sync_thread() and not os.path.isdir(f"/proc/self/fd/{fd}"):
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)
    else:
        real_write = files.HashingWriter.write

        def write(self, data):
            if on_sync_thread():
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(self, data)

        monkeypatch.setattr(files.HashingWriter, "write", write)
    with pytest.raises(OSError) as info:
        with Syncer() as syncer:
            write_shards_multi(tmp_path, [_caption(i) for i in range(4)], formats=["wds"], prefix="x",
                               shard_examples=2, record_progress=False, syncer=syncer)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(tmp_path / "x-000000.tar")
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tar" or ".tmp-" in p.name] == []


@pytest.mark.parametrize("with_syncer", [False, True])
def test_a_shard_leaves_the_page_cache_only_once_it_is_durable(tmp_path, monkeypatch, with_syncer):
    """Each local shard's pages are dropped from the page cache (posix_fadvise DONTNEED) right after its fsync, on
    the file that was fsynced, never before: the shards are the same bytes, and every one is advised once."""
    import contextlib
    import os

    from rt2data.shards.files import Syncer
    from rt2data.shards.writer import write_shards_multi

    if not hasattr(os, "posix_fadvise"):
        pytest.skip("this platform has no posix_fadvise")
    calls: list[tuple[str, str]] = []
    real_fsync, real_advise = os.fsync, os.posix_fadvise

    def name(fd: int) -> str:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))

    def fsync(fd):
        real_fsync(fd)
        calls.append(("fsync", name(fd)))

    def advise(fd, offset, length, advice):
        assert (offset, length, advice) == (0, 0, os.POSIX_FADV_DONTNEED)
        calls.append(("drop", name(fd)))
        real_advise(fd, offset, length, advice)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "posix_fadvise", advise)
    examples = [_caption(i) for i in range(5)]
    (tmp_path / "ref").mkdir()
    (tmp_path / "out").mkdir()
    reference = write_shards_multi(tmp_path / "ref", examples, formats=["wds", "tfrecord"], prefix="x",
                                   shard_examples=2, record_progress=False)
    calls.clear()
    with Syncer() if with_syncer else contextlib.nullcontext() as syncer:
        infos = write_shards_multi(tmp_path / "out", examples, formats=["wds", "tfrecord"], prefix="x",
                                   shard_examples=2, record_progress=False, syncer=syncer)
    assert infos == reference
    dropped = [n for what, n in calls if what == "drop"]
    assert len(dropped) == len(set(dropped)) == 6  # 3 shards in each of 2 formats, each once
    for n in dropped:  # the temp file the shard was written to, fsynced just before
        assert calls[calls.index(("drop", n)) - 1] == ("fsync", n)
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "ref").iterdir()}


def test_a_refused_page_cache_advice_loses_nothing(tmp_path, monkeypatch):
    """posix_fadvise is advice: a file system that refuses it (EINVAL, ESPIPE) does not fail the shard."""
    import errno
    import os

    def refuse(fd, offset, length, advice):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "posix_fadvise", refuse, raising=False)
    info = write_shard(tmp_path, "x-000000.tar", [_caption(1), _caption(2)], fmt="wds", record_progress=False)
    assert [e.key for e in iter_shard(tmp_path / info.name)] == ["k1", "k2"]
