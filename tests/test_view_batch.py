"""The batch view through AppTest: samples, uploads, bad files, loading a row."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import APP, chart_payload, metric, run_app


def upload(csv: bytes, **query: str) -> AppTest:
    """Open the batch view in upload mode and upload ``csv``."""
    at = run_app(view="batch", data="upload", **query)
    at.file_uploader[0].set_value(("data.csv", csv, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_built_in_samples_show_mean_loss_and_accuracy() -> None:
    """Each built-in sample gives the Mean loss and Accuracy metrics and four charts."""
    for data, rows in (("sample3", "300"), ("sample10", "2,000")):
        at = run_app(view="batch", data=data)
        assert metric(at, "Rows") == rows
        assert 0 < float(metric(at, "Mean loss")) < 10
        assert metric(at, "Accuracy").endswith("%")
        assert set(chart_payload(at)) == {"loss_histogram", "calibration_chart", "gradient_heatmap"}


def test_uploaded_file_is_evaluated_exactly() -> None:
    """An uploaded two-row file: Mean loss is the mean of the two closed-form losses."""
    at = upload(b"logit_cat,logit_dog,label\n0,0,cat\n0,1,dog\n")
    expected = (math.log(2) + math.log(1 + math.exp(-1))) / 2
    assert float(metric(at, "Mean loss")) == pytest.approx(expected, abs=5e-5)
    assert metric(at, "Accuracy") == "100.0%"


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not text"),
        (b"logit_0,logit_1,label\n1,x,0\n", "row 1, column 'logit_1': 'x' is not a number"),
        (b"logit_0,logit_1,label\n1,2,7\n", "row 1, column 'label': '7' is not a class"),
        (b"a,a\n1,2\n", "repeats the column 'a'"),
    ],
)
def test_bad_uploads_are_named_and_the_rest_of_the_app_is_unaffected(
    csv: bytes, message: str
) -> None:
    """A bad file gets a message naming what is wrong; the sidebar and URL state stay."""
    at = upload(csv, logits="1,2,3")
    assert any(message in e.value.replace("\\", "") for e in at.error)
    assert at.query_params["logits"] == "1,2,3"
    assert not chart_payload(at)


def test_load_button_opens_the_row_in_the_gradient_view() -> None:
    """Load on the worst row puts its logits and label in the state and opens Gradient."""
    at = upload(b"logit_0,logit_1,logit_2,label\n0,0,0,0\n5,0,0,2\n")
    load = [b for b in at.button if b.key and b.key.startswith("load_")]
    assert load[0].key == "load_1"  # row 2 (index 1) is the worst: p_2 is tiny
    load[0].click().run()
    assert at.query_params["view"] == "gradient"
    assert at.query_params["logits"] == "5,0,0"
    assert at.query_params["target"] == "2"


def test_charts_never_send_more_than_50000_points() -> None:
    """A 60,000-row upload: the histogram gets at most 50,000 losses."""
    rng = np.random.default_rng(1)
    rows = "\n".join(f"{a:.3f},{b:.3f},{int(a < b)}" for a, b in rng.normal(size=(60_000, 2)))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"view": "batch", "data": "upload"})
    at.run()
    at.file_uploader[0].set_value(
        ("big.csv", f"logit_0,logit_1,label\n{rows}\n".encode(), "text/csv")
    ).run()
    assert metric(at, "Rows") == "60,000"
    (hist,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-loss_histogram")]
    x = json.loads(hist.proto.spec)["data"][0]["x"]
    count = len(base64.b64decode(x["bdata"])) // 4 if isinstance(x, dict) else len(x)
    assert count == 50_000
