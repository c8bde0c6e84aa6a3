"""rt2data.inspection: summary, bin usage, warnings and the per-episode table, on a real convert output (tfds-built
RLDS -> Beam convert), on the same dataset tokenized on the fly, and on hand-made outputs with known flaws."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from rt2data.codec.action_codec import ActionCodec
from rt2data.errors import ConfigError, OutputError
from rt2data.example import Example
from rt2data.inspection import (
    dim_warnings,
    episode_table,
    format_episode,
    format_summary,
    list_episodes,
    open_inspectable,
    open_output,
    raw_bin_widths,
    summarize,
)
from rt2data.prompt import DEFAULT_ACTION_TEMPLATE
from rt2data.shards import Accounting, Manifest, iter_examples, write_manifest, write_shards


def jpeg(i: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (i * 9 % 256, 50, 100)).save(buf, format="JPEG")
    return buf.getvalue()


def action_examples(rows: np.ndarray, *, source: str = "robot", episode_len: int = 10,
                    codec: ActionCodec | None = None) -> list[Example]:
    codec = codec or ActionCodec.rt2_default()
    enc = codec.encode(rows)
    return [
        Example(key=f"{source}-{i:05d}", image=jpeg(i), image_format="jpg",
                prompt=DEFAULT_ACTION_TEMPLATE.render(instruction="pick the block"), target=enc.texts[i],
                kind="action", source=source, template_id="rt2-action-v1", instruction="pick the block",
                episode_id=f"ep{i // episode_len}", step=i % episode_len, action_raw=tuple(rows[i]),
                action_tokens=tuple(enc.tokens[i]))
        for i in range(len(rows))
    ]


def write_output(out, examples, *, codec=None, sources=None, kind="convert", formats=("wds",)):
    out.mkdir(parents=True, exist_ok=True)
    shards = {fmt: write_shards(out, examples, fmt=fmt, prefix="t", shard_examples=40, record_progress=False)
              for fmt in formats}
    write_manifest(out, Manifest(
        kind=kind, config={"test": kind}, shards=shards, accounting=Accounting(len(examples), len(examples)),
        codec=codec.to_json() if codec else None, templates={"rt2-action-v1": DEFAULT_ACTION_TEMPLATE.text},
        sources=sources if sources is not None else {"robot": {"kind": "action"}}))
    return out


def flawed_rows(n: int = 100, seed: int = 0) -> np.ndarray:
    """dx saturated (80% at +1), dy constant (collapsed), dz healthy, droll 50% out of range (clipped),
    gripper binary +-1 (fine), the rest healthy."""
    rng = np.random.default_rng(seed)
    rows = rng.uniform(-0.9, 0.9, size=(n, 8))
    rows[:, 0] = (np.arange(n) % 10 == 9).astype(float)
    rows[:, 1] = np.where(np.arange(n) % 5 == 0, rng.uniform(-0.5, 0.5, n), 1.0)
    rows[:, 2] = 0.0
    rows[:, 4] = rng.uniform(-2, 2, n)
    rows[:, 7] = np.where(np.arange(n) % 3 == 0, 1.0, -1.0)
    return rows


@pytest.fixture(scope="module")
def converted(rlds_dataset, tmp_path_factory):
    from rt2data.pipelines.convert import ConvertJob, run_convert

    ds = rlds_dataset("bridge_dataset", episodes=4, steps=6)
    out = tmp_path_factory.mktemp("inspect") / "out"
    run_convert(ConvertJob(dataset_dir=str(ds), spec="bridge_dataset", formats=("wds", "tfrecord")), out)
    return ds, out


def test_summary_of_a_convert_output(converted):
    _, out = converted
    summary = summarize(open_output(out))
    examples = list(iter_examples(out))
    assert (summary.origin, summary.examples, summary.episodes) == ("convert", 24, 4)
    assert summary.sources == {"bridge_dataset": 24} and summary.kinds == {"action": 24}
    assert summary.formats == ("wds", "tfrecord") and summary.accounting["written"] == 24
    [usage] = summary.usage
    assert [d.name for d in usage.dims] == ["terminate", "dx", "dy", "dz", "droll", "dpitch", "dyaw", "gripper"]
    tokens = np.asarray([e.action_tokens for e in examples])
    for i, dim in enumerate(usage.dims):
        assert sum(dim.histogram) == dim.count == 24
        assert dim.bins_used == len(set(tokens[:, i]))
        top_bin, top_count = dim.top_bins()[0]
        assert top_count == np.bincount(tokens[:, i]).max() and tokens[:, i].tolist().count(top_bin) == top_count
    # Clip counts by re-encoding equal the counts the convert pipeline recorded in the manifest.
    recorded = open_output(out).manifest.sources["bridge_dataset"]["clip_counts"]
    assert {d.name: d.clipped for d in usage.dims} == recorded


def test_summary_json_round_trips(converted):
    _, out = converted
    doc = json.loads(json.dumps(summarize(open_output(out)).to_json_dict()))
    dx = doc["usage"][0]["dims"][1]
    assert dx["name"] == "dx" and len(dx["histogram"]) == 256 and dx["bins_used"] == sum(1 for c in dx["histogram"] if c)


def test_rlds_on_the_fly_tokenizes_exactly_like_convert(converted):
    ds, out = converted
    item = open_inspectable(ds, spec="bridge_dataset")
    assert item.origin == "rlds"
    on_the_fly = {e.key: (e.target, e.action_tokens, e.prompt) for e in item.examples()}
    written = {e.key: (e.target, e.action_tokens, e.prompt) for e in iter_examples(out)}
    assert on_the_fly == written
    a, b = summarize(item), summarize(open_output(out))
    assert [d.histogram for d in a.usage[0].dims] == [d.histogram for d in b.usage[0].dims]


def test_rlds_max_episodes_is_noted(converted):
    ds, _ = converted
    summary = summarize(open_inspectable(ds, spec="bridge_dataset", max_episodes=2))
    assert summary.episodes == 2 and summary.examples == 12
    assert any("read 2 of 4 episodes" in n for n in summary.notes)


def test_rlds_dir_without_spec_says_how(converted):
    ds, _ = converted
    with pytest.raises(ConfigError, match="--spec"):
        open_inspectable(ds.parent.parent)


def test_manifest_file_opens_its_output_and_a_shard_file_says_what_to_pass(converted):
    _, out = converted
    assert summarize(open_inspectable(out / "manifest.json")).examples == 24
    shard = next(out.glob("*.tar"))
    with pytest.raises(ConfigError, match="is a file; pass the convert/mix output directory"):
        open_inspectable(shard)


def test_missing_manifest_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="no manifest"):
        open_inspectable(tmp_path)


def test_warnings_flag_saturated_collapsed_clipped_and_spare_binary_gripper(tmp_path):
    out = write_output(tmp_path / "o", action_examples(flawed_rows()), codec=ActionCodec.rt2_default())
    summary = summarize(open_output(out))
    found = {(w.dim, w.kind) for w in summary.warnings}
    assert found == {("dx", "saturated"), ("dy", "collapsed"), ("droll", "clipped")}
    dims = {d.name: d for d in summary.usage[0].dims}
    assert dims["dx"].end_fractions[1] == pytest.approx(0.8)
    assert dims["droll"].clip_rate == pytest.approx(np.mean(np.abs(flawed_rows()[:, 4]) > 1))
    assert dims["gripper"].bins_used == 2 and dims["gripper"].clip_rate == 0
    text = format_summary(summary, width=80)
    assert "warning: robot/dx: saturated" in text and all(len(line) <= 80 for line in text.splitlines())


def test_warning_rules_need_enough_values(tmp_path):
    out = write_output(tmp_path / "o", action_examples(flawed_rows()[:10]), codec=ActionCodec.rt2_default())
    usage = summarize(open_output(out)).usage[0]
    assert [w for d in usage.dims for w in dim_warnings("robot", d)] == []
    assert [w.kind for d in usage.dims for w in dim_warnings("robot", d, min_count=5)].count("saturated") == 1


def test_output_without_codec_counts_bins_but_not_clips(tmp_path):
    out = write_output(tmp_path / "o", action_examples(flawed_rows(30)), codec=None)
    summary = summarize(open_output(out))
    assert summary.usage[0].codec_known is False
    assert all(d.clipped is None for d in summary.usage[0].dims)
    assert any("no codec" in n for n in summary.notes)


def test_episode_table_by_id_and_by_index(converted):
    _, out = converted
    item = open_output(out)
    episodes = list_episodes(item.examples())
    assert len(episodes) == 4
    by_index = episode_table(item, "2")
    by_id = episode_table(item, episodes[2][1])
    assert by_index.episode_id == by_id.episode_id == episodes[2][1]
    assert "index 2 of 4" in by_index.selected_by and "episode_id" in by_id.selected_by
    assert [r.step for r in by_id.rows] == list(range(6)) and len(by_id.images) == 6
    with pytest.raises(ConfigError, match=r"index 0\.\.3"):
        episode_table(item, "no-such-episode")
    with pytest.raises(ConfigError):
        episode_table(item, "7")


def test_episode_rows_decode_within_half_a_bin_unless_clipped(converted):
    _, out = converted
    item = open_output(out)
    codec = item.default_codec
    for index in range(4):
        table = episode_table(item, str(index))
        for row in table.rows:
            example = next(e for e in item.examples() if e.key == row.key)
            assert row.tokens == example.action_tokens and row.action_text == example.target
            assert np.allclose(row.decoded, codec.decode_tokens(np.asarray(row.tokens)))
            clipped = codec.encode(np.asarray([row.raw])).clipped[0]
            for i, err in enumerate(row.err_bins):
                if not clipped[i]:
                    assert abs(err) <= 0.5 + 1e-9, (row.key, table.dims[i], err)
                else:
                    assert abs(err) >= 0.5 - 1e-9


def test_raw_bin_widths_follow_the_normalization(converted):
    _, out = converted
    codec = open_output(out).default_codec
    widths = raw_bin_widths(codec)
    q01, q99 = (np.asarray(codec.normalization.to_json()[k]) for k in ("q01", "q99"))
    assert widths[0] == 1.0  # terminate: one class
    assert np.allclose(widths[1:7], (q99[1:7] - q01[1:7]) / 256)
    assert widths[7] == pytest.approx(2 / 256)  # gripper: not normalized


def test_episode_text_fits_80_columns_and_shows_every_dimension(converted):
    _, out = converted
    table = episode_table(open_output(out), "0")
    text = format_episode(table, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    for name in table.dims:
        assert name in text
    assert text.count("\nstep ") == len(table.rows)
    assert json.loads(json.dumps(table.to_json_dict()))["steps"][0]["tokens"] == list(table.rows[0].tokens)


def test_mixture_episode_with_repeats_and_gaps(tmp_path):
    examples = action_examples(flawed_rows(20), episode_len=10)
    # A mixture-like output: step 3 of ep0 twice (repeat), step 5 missing.
    picked = [e for e in examples if e.episode_id == "ep0" and e.step != 5]
    picked.append(picked[3].replace(key="robot-again"))
    out = write_output(tmp_path / "m", picked, codec=ActionCodec.rt2_default())
    table = episode_table(open_output(out), "ep0")
    assert [r.step for r in table.rows] == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert table.rows[3].copies == 2 and table.missing_steps() == [5]
    assert "steps [5]" in format_episode(table)


# ------------------------------------------------------------------------------------------ property: error in bins
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rt2data.inspection import error_in_bins  # noqa: E402


@st.composite
def codec_and_actions(draw):
    """A q01_q99 codec over the RT-2 space with random statistics, and raw actions around its range."""
    lo = np.array(draw(st.lists(st.floats(-5, 5), min_size=6, max_size=6)))
    span = np.array(draw(st.lists(st.floats(1e-3, 10), min_size=6, max_size=6)))
    stats = {"q01": [0.0, *lo, -1.0], "q99": [1.0, *(lo + span), 1.0]}
    codec = ActionCodec.from_stats(stats, method="q01_q99")
    n = draw(st.integers(1, 20))
    u = np.array(draw(st.lists(st.floats(-0.5, 1.5), min_size=n * 6, max_size=n * 6))).reshape(n, 6)
    rows = np.column_stack([np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=float),
                            lo + u * span, np.array(draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)))])
    return codec, rows


@settings(max_examples=60, deadline=None)
@given(codec_and_actions())
def test_error_in_bins_is_at_most_half_a_bin_unless_clipped(case):
    codec, rows = case
    encoded = codec.encode(rows)
    err = error_in_bins(codec, rows, encoded.tokens)
    inside = ~encoded.clipped
    assert np.all(np.abs(err[inside]) <= 0.5 + 1e-6)
    assert np.all(np.abs(err[~inside]) >= 0.5 - 1e-6)
    assert np.all(err[:, 0] == 0)  # terminate: exact classes


@pytest.mark.parametrize("name", ["bridge", "mix", "mix-keep"])
def test_records_give_what_examples_give(trainer_outputs, name):
    """``inspect`` reads an output's records through the readers' fast check: its summary and episode table are
    those of the same output read as ``Example`` objects (the full checks), on a real convert and two real mixes."""
    import dataclasses

    item = open_output(trainer_outputs / "out" / name)
    out = trainer_outputs / "out" / name
    full = dataclasses.replace(item, _records=lambda: ((e.to_json_dict(), e.image) for e in iter_examples(out)))
    assert [r[0] for r in item.records()] == [r[0] for r in full.records()]
    assert list(item.examples()) == list(iter_examples(out))
    assert summarize(item) == summarize(full)
    episodes = list_episodes(iter_examples(out))
    assert episodes, "the output has robot episodes"
    assert episode_table(item, "0") == episode_table(full, "0")
