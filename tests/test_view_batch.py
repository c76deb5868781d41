"""The batch view through AppTest: samples, uploads, bad files, loading a row."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from tests.apptest import APP, chart_payload, metric, open_expander, run_app
from tests.test_batch import TWENTY_FIVE, twenty_five_problems


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
    assert "a sample of 50,000 of the 60,000 rows" in hist.proto.alt


def wide_csv(K: int, rows: int = 3) -> bytes:
    """A file with K logit columns and a label."""
    header = ",".join([f"logit_{i}" for i in range(K)] + ["label"])
    body = "\n".join(",".join([str(r % 7)] * K + [str(r % K)]) for r in range(rows))
    return f"{header}\n{body}\n".encode()


def test_a_thousand_classes_keep_the_heatmap_within_50000_points() -> None:
    """1,000 classes: the gradient heatmap gets at most 50,000 cells, rows × classes, and
    Load is disabled (the single-sample views take at most 20 classes)."""
    at = upload(wide_csv(1000, rows=120))
    assert metric(at, "Rows") == "120"
    (heatmap,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-gradient_heatmap")]
    z = json.loads(heatmap.proto.spec)["data"][0]["z"]
    cells = len(base64.b64decode(z["bdata"])) // 4 if isinstance(z, dict) else sum(map(len, z))
    assert 0 < cells <= 50_000
    load = [b for b in at.button if b.key and b.key.startswith("load_")]
    assert load
    assert all(b.disabled for b in load)


def test_more_than_a_thousand_classes_is_a_named_error() -> None:
    """1,001 classes are refused with a message saying the limit; no chart is drawn."""
    at = upload(wide_csv(1001))
    assert any("ce-viz takes at most 1,000" in e.value.replace("\\", "") for e in at.error)
    assert not chart_payload(at)


def test_spaces_after_commas_in_the_header_are_not_missing_columns() -> None:
    """`logit_0, logit_1, label` is read as logit_0, logit_1 and label, as in the file."""
    at = upload(b"logit_0, logit_1, label\n0, 0, 1\n")
    assert not at.error
    assert metric(at, "Rows") == "1"
    assert float(metric(at, "Mean loss")) == pytest.approx(math.log(2), abs=5e-5)


def test_blank_lines_before_the_header_are_not_an_empty_file() -> None:
    """1,500 blank lines before the header: the file is read, not called empty."""
    at = upload(b"\n" * 1500 + b"logit_0,logit_1,label\n0,0,1\n")
    assert not at.error
    assert metric(at, "Rows") == "1"


def test_the_file_is_read_once_whatever_else_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing how many worst rows are listed reruns the page without reading the file
    again; changing T reads it again (the losses change)."""
    import ce_viz.views.batch as view

    calls: list[float] = []
    real = view.summarise_batch

    def counting(*args: object, **kwargs: object):
        calls.append(1.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(view, "summarise_batch", counting)
    at = upload(b"logit_0,logit_1,label\n0,0,1\n3,0,1\n")
    assert len(calls) == 1
    at.number_input(key="worst").set_value(2).run()
    assert len(calls) == 1
    assert len([b for b in at.button if b.key and b.key.startswith("load_")]) == 2
    at.session_state["state"] = type(at.session_state["state"])(
        **{**at.session_state["state"].__dict__, "T": 2.0}
    )
    at.run()
    assert len(calls) == 2


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    st.lists(
        st.sampled_from(["logit_a", "logit_b", "o_a", "y_a", "y_b", "label", "x"]), max_size=5
    ),
    st.lists(
        st.lists(st.sampled_from(["0", "1", "2.5", "a", "", "1e999", "b"]), max_size=6),
        max_size=5,
    ),
    st.binary(max_size=8),
)
def test_random_uploads_give_a_result_or_a_message(
    header: list[str], rows: list[list[str]], tail: bytes
) -> None:
    """Random headers, shapes and trailing bytes uploaded to the page: metrics or one error
    box, never an exception."""
    text = ",".join(header) + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    at = upload(text.encode() + tail)
    assert bool(at.error) != bool(at.metric), (text, tail)


def test_the_preview_is_read_only_when_opened() -> None:
    """The preview expander reads the file's first rows only while open; opened on a
    1,000-class file it shows 30 columns and says how many there are."""
    at = upload(wide_csv(1000, rows=30))
    assert not at.dataframe
    at = open_expander(at, "preview_open")
    (shown,) = at.dataframe
    assert shown.value.shape == (20, 30)
    assert any("of the 1,001 columns" in c.value for c in at.caption)


def test_a_file_with_25_problems_lists_the_first_20_and_how_many_more() -> None:
    """One error box names 25 problems' first 20, one line each with its row and column,
    then "and 5 more"; it once named only the first. The URL state is untouched."""
    at = upload(twenty_five_problems(), logits="1,2,3")
    (box,) = at.error
    text = box.value.replace("\\", "")
    assert "it has 25 problems" in text
    items = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    assert len(items) == 21
    for item, (r, name, _, what) in zip(items[:20], TWENTY_FIVE[:20], strict=True):
        assert item.startswith(f"row {r}, column '{name}': "), item
        assert what in item
    assert items[-1] == "and 5 more"
    assert not at.get("progress")  # the reading's bar goes with the reading
    assert at.query_params["logits"] == "1,2,3"
    assert not chart_payload(at)


def test_the_batch_page_has_its_own_temperature_and_it_changes_the_loss() -> None:
    """The sidebar holds no inputs on the batch view, so the page has a Temperature box,
    bound to T= in the link; T = 2 gives the mean of the closed-form losses at T = 2."""
    at = upload(b"logit_cat,logit_dog,label\n0,0,cat\n0,1,dog\n")
    assert not list(at.sidebar.number_input)
    at1 = float(metric(at, "Mean loss"))
    at.number_input(key="T").set_value(2.0).run()
    expected = (math.log(2) + math.log(1 + math.exp(-0.5))) / 2
    assert float(metric(at, "Mean loss")) == pytest.approx(expected, abs=5e-5)
    assert float(metric(at, "Mean loss")) != pytest.approx(at1, abs=1e-3)
    assert at.query_params["T"] == "2"


def test_batch_charts_say_what_they_show_with_their_key_numbers() -> None:
    """The histogram's alt gives the rows, the mean and the largest loss; calibration's
    each non-empty bin's accuracy and rows; the heatmap's its size and largest entry; all
    worked out by hand for a three-row file."""
    at = upload(b"logit_a,logit_b,label\n0,0,a\n3,0,b\n0,2,b\n")
    alts = {c.proto.id.rsplit("-", 1)[-1]: c.proto.alt for c in at.get("plotly_chart")}
    losses = [math.log(2), math.log(1 + math.exp(3)), math.log(1 + math.exp(-2))]
    hist = alts["loss_histogram"]
    assert "over 3 rows" in hist
    assert f"mean {sum(losses) / 3:.4f}" in hist
    assert f"the largest {losses[1]:.4f}" in hist
    calibration = alts["calibration_chart"]
    # Confidences 0.5 (right), e^3/(1+e^3) = 0.953 (wrong), e^2/(1+e^2) = 0.881 (right).
    assert "0.5–0.6 accuracy 1.000 of 1 row" in calibration
    assert "0.8–0.9 accuracy 1.000 of 1 row" in calibration
    assert "0.9–1.0 accuracy 0.000 of 1 row" in calibration
    assert "7 bins empty" in calibration
    heatmap = alts["gradient_heatmap"]
    p_a = math.exp(3) / (1 + math.exp(3))
    assert "3 worst rows" in heatmap
    assert "by 2 classes" in heatmap
    assert f"+{p_a:.4f}, row 2, class a" in heatmap
    assert "blue for negative" in heatmap


def test_the_worst_rows_name_the_prediction_and_the_true_class_p() -> None:
    """Each worst row says its true class, the predicted class and p of the true class,
    worked by hand: row 2 (logits 3, 0, label b) predicts a with p(b) = 1/(1 + e^3)."""
    at = upload(b"logit_a,logit_b,label\n0,0,a\n3,0,b\n")
    rows = [m.value.replace("\\", "") for m in at.markdown if "· row " in m.value]
    assert rows[0].startswith("**#1** · row 2 · true: b · predicted: a · ")
    assert f"p(true) = {1 / (1 + math.exp(3)):.3f}" in rows[0]
    assert f"L = {math.log(1 + math.exp(3)):.3f}" in rows[0]
