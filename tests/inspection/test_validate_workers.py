"""``validate --workers N`` (issue 14: both cores): shards read by forked processes give the same report as one
process, problem for problem and in the same order, including duplicate keys across shards, which only the merge
in manifest order can see."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rt2data.cli.main import cli
from rt2data.inspection.validate import default_workers, validate_output

from test_validate import action, web, write_output  # the helpers of tests/inspection/test_validate.py


def _damaged(tmp_path):
    """Shards of 8: a key repeated in a later shard and twice within one, a bad target, a web example carrying
    action fields, a flipped byte (sha256 and, as it falls, a member), and a missing shard."""
    exs = [action(i) for i in range(40)] + [web(i, "vqa") for i in range(8)]
    exs[3] = exs[3].replace(target="1 2 3 4 5 6 7 0")
    exs[17] = exs[17].replace(key=exs[2].key)  # shard 2 repeats a key of shard 0
    exs[21] = exs[21].replace(key=exs[20].key)  # twice within shard 2
    exs[19] = exs[19].replace(key=exs[2].key)  # and again, before the in-shard repeat
    exs[44] = web(4, "vqa", action_tokens=(1, 2))
    out = write_output(tmp_path / "o", exs, formats=("wds", "tfrecord"))
    shards = sorted(out.glob("t-*.tar"))
    data = bytearray(shards[1].read_bytes())
    data[700] ^= 0x20
    shards[1].write_bytes(bytes(data))
    sorted(out.glob("t-*.tfrecord"))[3].unlink()
    return out


@pytest.mark.parametrize("max_problems", [1000, 3])
def test_forked_workers_report_what_one_process_reports(tmp_path, max_problems):
    out = _damaged(tmp_path)
    one = validate_output(out, workers=1, max_problems=max_problems)
    assert not one.ok and len(one.problems) >= 3
    assert max_problems < 10 or sum("duplicate key" in p.message for p in one.problems) >= 3
    for workers in (2, 3, 16):
        many = validate_output(out, workers=workers, max_problems=max_problems)
        assert many.to_json_dict() == one.to_json_dict(), workers


def test_good_output_with_workers(tmp_path):
    out = write_output(tmp_path / "o", [action(i) for i in range(20)] + [web(i, "caption") for i in range(5)])
    one, two = validate_output(out, workers=1), validate_output(out, workers=2)
    assert one.ok and two.ok and one.to_json_dict() == two.to_json_dict()
    assert two.examples_checked == 50 and two.shards_checked == 8


def test_cli_workers_option_gives_the_same_report(tmp_path):
    out = _damaged(tmp_path)
    runs = [CliRunner().invoke(cli, ["validate", "--json", *args, str(out)]) for args in ([], ["--workers", "1"],
                                                                                         ["--workers", "2"])]
    assert [r.exit_code for r in runs] == [1, 1, 1]
    reports = [json.loads(r.stdout) for r in runs]
    assert reports[0] == reports[1] == reports[2] and reports[0]["problems"]
    assert 1 <= default_workers() <= 8
