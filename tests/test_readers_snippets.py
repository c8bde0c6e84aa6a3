"""The README's trainer snippets run as written: each in a fresh interpreter, in a folder holding ``out/bridge`` (a
real ``rt2data convert`` output, both formats) and ``out/mix`` (a real ``rt2data mix`` output).

The snippets are the ```python blocks of README.md that use ``rt2data.readers`` or ``load_dataset("webdataset"``;
while README.md has none, the copies below are run (they are the text handed to the README's author). A snippet that
needs torch / tensorflow / datasets is skipped where that library is not installed."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

INLINE_SNIPPETS = [
    '''\
from rt2data.readers import iter_records

for record in iter_records("out/bridge"):
    image = record["image"]              # PIL.Image, decoded on first use
    tokens = record["action_tokens"]     # numpy int64[D]; None for caption/VQA examples
    print(record["prompt"], "->", record["target"], image.size, tokens)
    break
''',
    '''\
from torch.utils.data import DataLoader
from rt2data.readers import torch_dataset

dataset = torch_dataset("out/bridge", shuffle_shards=True, seed=0)   # shards split across workers (and ranks)
loader = DataLoader(dataset, batch_size=8, num_workers=2)
batch = next(iter(loader))       # {"image": uint8[8, 3, H, W], "prompt": [...], "target": [...], ...}
print(batch["image"].shape, batch["target"][0])
''',
    '''\
from rt2data.readers import tf_dataset

dataset = tf_dataset("out/bridge", decode_image=True).batch(8)   # the TFRecord shards, manifest order
batch = next(iter(dataset))
print(batch["image"].shape, batch["action_tokens"].shape, batch["target"][0].numpy())
''',
    '''\
import datasets

ds = datasets.load_dataset("webdataset", data_files={"train": "out/bridge/*.tar"}, split="train")
print(ds[0]["json"]["target"], ds[0]["jpg"].size)
''',
    '''\
from rt2data.readers import hf_load

ds = hf_load("out/mix")              # datasets.load_dataset("webdataset", data_files=..., features=...)
row = ds[0]
print(row["json"]["kind"], row["json"]["target"])
''',
]


MARKERS = ("rt2data.readers", 'load_dataset("webdataset"', 'load_dataset("out/', "TFRecordDataset")


def readme_snippets() -> list[str]:
    if not README.is_file():
        return []
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [b for b in blocks if any(m in b for m in MARKERS)]


def inline_snippets() -> list[str]:
    """Ours, plus the shards layer's README texts (explicit HF features; the TFRecord feature spec)."""
    from rt2data.shards import HF_FEATURES_DOC, TFRECORD_FEATURE_SPEC_DOC

    return [*INLINE_SNIPPETS, HF_FEATURES_DOC, TFRECORD_FEATURE_SPEC_DOC]


SNIPPETS = readme_snippets() or inline_snippets()
NEEDS = {"torch": "torch", "tf_dataset": "tensorflow", "tf_parse_fn": "tensorflow", "import tensorflow": "tensorflow",
         "datasets": "datasets", "hf_load": "datasets"}
# The shards layer's texts end by building a dataset; make them read it, so a wrong feature spec fails here.
READ_BACK = {"ds = tf.data.TFRecordDataset": "\nprint(next(iter(ds))['target'])\n",
             "features=features)": "\nprint(ds[0]['json']['target'])\n"}


@pytest.fixture(scope="module")
def workdir(trainer_outputs) -> Path:
    """``out/bridge`` (convert, both formats) and ``out/mix`` (PNG captions + JPEG robot steps, both formats)."""
    return trainer_outputs


def test_snippets_were_found():
    assert len(SNIPPETS) >= 7
    assert any('load_dataset("out/' in s for s in SNIPPETS)  # a whole output folder, through its dataset card
    assert any("iter_records" in s for s in SNIPPETS) and any('load_dataset("webdataset"' in s for s in SNIPPETS)


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_runs(code, workdir):
    for marker, module in NEEDS.items():
        if marker in code and importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed; this README snippet needs it")
    code = code.replace("OUT_DIR", "out/mix")
    code += "".join(extra for marker, extra in READ_BACK.items() if marker in code and "print(" not in code)  # the placeholder of the shards layer's texts: a mixture, both formats
    env = {**os.environ, "HF_HOME": str(workdir / "hf"), "TF_CPP_MIN_LOG_LEVEL": "2", "HF_DATASETS_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=300,
                          env=env)
    assert proc.returncode == 0, f"snippet failed:\n{code}\n--- stderr ---\n{proc.stderr[-3000:]}"
