"""One 50 MB upload on a live server, while another session keeps editing a logit.

    python -m bench upload

Starts ``streamlit run app.py`` on loopback. A headless Chromium (Debian's) opens the
batch view and uploads a file at the upload limit (49.9 MB: 8.3 million rows of
``0,0,0``, the tallest file the limit allows); meanwhile another session, over Streamlit's
websocket, edits the first logit every 0.5 s and times each rerun. Reported: the time from
choosing the file to the Mean loss on the page, the server's resident memory (RSS) before
and at its peak, and the other session's edit latencies while the upload was being read.

Targets (issue "A lecture hall on one link", goal 3): the server's peak RSS at most 250 MB
above its level before the upload, and the other session's edits under 2 s. Traffic goes
only to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.load import open_session, rerun, rss_mb
from bench.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, served
from bench.shapes import tall_zeros

RISE_TARGET_MB = 250
EDIT_TARGET_S = 2.0


def _editor(port: int, stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    try:
        with open_session(port) as ws:
            _, _, ids = rerun(ws, None)
            for i in range(600):
                if stop.is_set():
                    break
                elapsed, error, _ = rerun(ws, (ids["num_0"], 2.0 + 0.01 * (i % 50)))
                latencies.append(elapsed)
                if error:
                    errors.append(error)
                time.sleep(0.5)
    except Exception as exc:  # a broken connection is an error, not a crash
        errors.append(f"{type(exc).__name__}: {exc}")


def main(argv: list[str] | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tall.csv"
        path.write_bytes(tall_zeros())
        size_mb = path.stat().st_size / 1e6
        with served(ROOT / "app.py") as (server, url), sync_playwright() as pw:
            port = int(url.rsplit(":", 1)[1])
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{url}/?view=batch&data=upload")
            page.wait_for_selector(
                '[data-testid="stFileUploaderDropzoneInput"]', state="attached", timeout=60000
            )
            time.sleep(2)
            before = peak = rss_mb(server.pid)
            stop = threading.Event()
            latencies: list[float] = []
            errors: list[str] = []
            editor = threading.Thread(target=_editor, args=(port, stop, latencies, errors))
            editor.start()
            time.sleep(2)
            during_from = len(latencies)
            start = time.perf_counter()
            page.set_input_files('[data-testid="stFileUploaderDropzoneInput"]', str(path))
            done = False
            while time.perf_counter() - start < 300 and not done:
                peak = max(peak, rss_mb(server.pid))
                done = page.locator('[data-testid="stMetric"]').count() > 0
                time.sleep(0.1)
            read_s = time.perf_counter() - start
            during = latencies[during_from:]
            stop.set()
            editor.join(timeout=60)
            browser.close()
    rise = peak - before
    worst = max(during) if during else float("nan")
    print(f"upload: {size_mb:.1f} MB ({path.name}), read and summarised in {read_s:.1f} s")
    print(f"server RSS: before {before:.0f} MB, peak {peak:.0f} MB: rise {rise:.0f} MB")
    if during:
        print(
            f"other session's edits during it: {len(during)}, p50 "
            f"{1e3 * statistics.median(during):.0f} ms, max {1e3 * worst:.0f} ms"
        )
    print(f"errors: {len(errors)}" + (f" (first: {errors[0][:100]})" if errors else ""))
    met = done and not errors and rise <= RISE_TARGET_MB and worst <= EDIT_TARGET_S
    print(
        f"targets: RSS rise <= {RISE_TARGET_MB} MB, edits under {EDIT_TARGET_S:g} s: "
        f"{'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
