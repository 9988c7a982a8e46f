"""The protocol registry (bench.protocols.registry, the one place a protocol is declared) and the reader each
protocol opens a folder with."""
import json

import pytest

from bench.datasets import HYouTubeReader
from bench.metrics import metrics_for
from bench.protocols import get_protocol, list_protocols
from bench.protocols.datasets import open_for_protocol
from bench.readers.hyoutube import HYouTubePeerReader, HYouTubeTLReader
from bench.readers.iharmony4 import IHarmony4Reader
from tests.bench.test_protocols_readers import _hyoutube, _iharmony4


def test_every_protocol_is_complete():
    assert list_protocols()[0] == "paper"
    assert set(list_protocols()) == {"paper", "co2net", "dovenet", "vtt", "lai"}
    for name in list_protocols():
        steps = get_protocol(name)
        metrics = metrics_for(name)
        assert metrics, name
        assert set(steps.peer_names) <= set(metrics) and set(steps.aggregates) <= set(metrics), name
        assert steps.files and steps.peer and steps.pairs and steps.peer_flow, name
        json.dumps(steps.describe())                     # the manifest records it
    assert get_protocol("lai").flow_frames == "composite" and get_protocol("co2net").flow_frames == "gt"
    with pytest.raises(KeyError, match="known: paper"):
        get_protocol("hyoutube")


def test_open_for_protocol_picks_the_peer_reader(tmp_path):
    _hyoutube(tmp_path / "hyt")
    assert isinstance(open_for_protocol(tmp_path / "hyt", "paper"), HYouTubeReader)
    assert not isinstance(open_for_protocol(tmp_path / "hyt", "lai"), HYouTubePeerReader)
    co2 = open_for_protocol(tmp_path / "hyt", "co2net")
    assert isinstance(co2, HYouTubePeerReader) and co2.reading.size == (256, 256)
    assert open_for_protocol(tmp_path / "hyt", "co2net", size=256).reading.size == (256, 256)
    with pytest.raises(ValueError, match="evaluates at 256×256"):
        open_for_protocol(tmp_path / "hyt", "co2net", size=(128, 128))
    with pytest.raises(ValueError, match="--protocol co2net"):
        open_for_protocol(tmp_path / "hyt", "vtt", tl_next=tmp_path)
    (tmp_path / "tl").mkdir()
    (tmp_path / "tl" / "tl_task.txt").write_text(
        "real_videos/v1/00000.jpg foreground_mask/v1/object_0/00000.png synthetic_composite_videos/v1/object_0/00000.jpg\n")
    tl = open_for_protocol(tmp_path / "hyt", "co2net", tl_next=tmp_path / "tl")
    assert isinstance(tl, HYouTubeTLReader) and tl.temporal_only and tl.clip_ids() == ["v1/object_0/00000"]
    _iharmony4(tmp_path / "ih")
    ih = open_for_protocol(tmp_path / "ih", "dovenet")
    assert isinstance(ih, IHarmony4Reader) and ih.clip_ids() == ["HFlickr/f100_x_2_1"]
    assert open_for_protocol(tmp_path / "ih", "paper").reading == get_protocol("dovenet").reading
