"""The deployment settings in .streamlit/config.toml, and the largest message against its limit."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest

from tests.apptest import APP

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PATH = ROOT / ".streamlit" / "config.toml"
CONFIG = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
#: server.maxMessageSize is in MB of 10^6 bytes (streamlit.runtime.runtime_util).
LIMIT_BYTES = CONFIG["server"]["maxMessageSize"] * 10**6
#: The largest message may use at most this share of the limit.
MARGIN = 2


def test_security_settings_are_set() -> None:
    """XSRF on, no error details, no file watcher, no agent API, a few-MB message cap."""
    server, client = CONFIG["server"], CONFIG["client"]
    assert server["enableXsrfProtection"] is True
    assert client["showErrorDetails"] == "none"
    assert server["fileWatcherType"] == "none"
    assert server["enableAgentApi"] is False
    assert isinstance(server["maxMessageSize"], int)
    assert 2 <= server["maxMessageSize"] <= 10
    assert isinstance(server["maxUploadSize"], int)
    assert server["maxUploadSize"] > 0


def test_streamlit_reads_every_setting_as_written() -> None:
    """Each key is an option this Streamlit knows, and it reads back the value in the file."""
    written = {
        f"{section}.{key}": value for section, keys in CONFIG.items() for key, value in keys.items()
    }
    code = (
        "import json, sys\n"
        "from streamlit import config\n"
        "options = config.get_config_options(force_reparse=True)\n"
        "keys = json.loads(sys.stdin.read())\n"
        "print(json.dumps({k: config.get_option(k) if k in options else '<unknown>' "
        "for k in keys}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(list(written)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout) == written


def _batch_csv(K: int, rows: int) -> bytes:
    """A soft-target batch file at its widest: K classes with long names that Plotly and
    the table must escape."""
    rng = np.random.default_rng(0)
    names = [f"{i:04d}" + "&" * 90 for i in range(K)]
    header = ",".join(f"logit_{n}" for n in names) + "," + ",".join(f"y_{n}" for n in names)
    logits = rng.normal(scale=3.0, size=(rows, K))
    y = rng.dirichlet(np.ones(K), size=rows)
    lines = [",".join(f"{v:.17g}" for v in row) for row in np.hstack([logits, y])]
    return "\n".join([header, *lines, ""]).encode()


K20 = ",".join(f"{(-1) ** i * (i * 0.731 % 7):.4f}" for i in range(20))
NAMES20 = ",".join(f"class_{i:02d}_{'x' * 15}" for i in range(20))
# The heaviest link of each view: most classes, longest names, every option that adds data.
HEAVY_LINKS = [
    {"view": "landscape", "steps": "500", "descent": "all", "field": "1", "plot": "surface"},
    {"view": "simplex", "steps": "500", "descent": "all"},
    {"view": "batch", "data": "sample10", "worst": "100"},
    *(
        {
            "logits": K20,
            "target": "7",
            "names": NAMES20,
            "view": view,
            "steps": "500",
            "descent": "all",
            "field": "1",
            "span": "50",
            "plot": plot,
        }
        for view, plot in [
            ("gradient", "contour"),
            ("derivation", "contour"),
            ("landscape", "contour"),
            ("landscape", "surface"),
            ("simplex", "contour"),
            ("jacobian", "contour"),
            ("why", "contour"),
            ("check", "contour"),
        ]
    ),
]


def test_largest_message_is_well_under_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every view's heaviest link, and a 1,000-class batch upload, send no websocket message
    over half of server.maxMessageSize (each ForwardMsg is one websocket frame)."""
    sizes: list[tuple[int, str]] = []
    enqueue = ForwardMsgQueue.enqueue

    def measured(queue: ForwardMsgQueue, msg: ForwardMsg) -> None:
        element = msg.delta.new_element.WhichOneof("type") if msg.HasField("delta") else None
        sizes.append((msg.ByteSize(), f"{msg.WhichOneof('type')}:{element}"))
        enqueue(queue, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", measured)
    largest: dict[str, tuple[int, str]] = {}
    for query in HEAVY_LINKS:
        sizes.clear()
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(query)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        largest[json.dumps(query)] = max(sizes)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"view": "batch", "data": "upload", "worst": "100"})
    at.run()
    sizes.clear()
    at.file_uploader[0].set_value(("wide.csv", _batch_csv(1000, 400), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]  # the file was used, not refused
    largest["upload: 1,000 classes, 400 rows"] = max(sizes)

    # The measurement itself: the landscape's figure is far above a trivial message.
    assert min(size for size, _ in largest.values()) > 1000
    worst = max(largest.items(), key=lambda item: item[1][0])
    assert worst[1][0] * MARGIN <= LIMIT_BYTES, worst
