"""The replicas-behind-nginx recipe (deploy/), read as text; and `nginx -t` where installed."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = (ROOT / "deploy" / "nginx.conf.template").read_text(encoding="utf-8")
RUN = ROOT / "deploy" / "run"


def _directives(text: str) -> list[str]:
    """nginx's directives in order, whitespace collapsed and comments dropped: each ends with
    its ``;`` or ``{``, and each block's ``}`` is an item of its own."""
    items, current, quote, comment = [], "", "", False
    for char in text:
        if comment:
            comment = char != "\n"
            continue
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#":
            comment = True
            continue
        current += char
        if not quote and char in ";{}":
            items.append(" ".join(current.split()))
            current = ""
    return items


#: The template's directives (blocks' braces as their own items), with two replicas as
#: deploy/run writes them in place of the @SERVERS@ line.
SERVERS = "        server 127.0.0.1:8601;\n        server 127.0.0.1:8602;"
DIRECTIVES = _directives(TEMPLATE.replace("@SERVERS@", SERVERS))


def _block(opening: str) -> list[str]:
    """The directives inside the block that starts with ``opening`` (nested ones included)."""
    start = DIRECTIVES.index(opening)
    depth, body = 0, []
    for item in DIRECTIVES[start:]:
        depth += item.endswith("{") - (item == "}")
        if depth == 0:
            return body[1:]
        body.append(item)
    raise AssertionError(f"{opening} is not closed")


def _size_mb(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[unit.lower()] / 2**20


def test_braces_balance_and_placeholders_are_known() -> None:
    assert TEMPLATE.count("{") == TEMPLATE.count("}")
    assert set(re.findall(r"@(\w+)@", TEMPLATE)) == {"RUN", "PORT", "SERVERS"}
    assert "@SERVERS@" in TEMPLATE.splitlines()  # deploy/run replaces the whole line


def test_websocket_upgrade_is_passed_on() -> None:
    """/_stcore/stream: HTTP/1.1, Upgrade and Connection forwarded, a long read timeout."""
    location = _block("location / {")
    assert "proxy_http_version 1.1;" in location
    assert "proxy_set_header Upgrade $http_upgrade;" in location
    assert "proxy_set_header Connection $connection_upgrade;" in location
    mapping = _block("map $http_upgrade $connection_upgrade {")
    assert "default upgrade;" in mapping
    assert '"" close;' in mapping
    # Streamlit accepts a websocket whose Origin matches the Host, port included.
    assert "proxy_set_header Host $http_host;" in location
    timeout = next(d for d in location if d.startswith("proxy_read_timeout "))
    assert re.fullmatch(r"proxy_read_timeout (\d+)h;", timeout)


def test_uploads_up_to_the_streamlit_limit_pass() -> None:
    (size,) = [d.split()[1].rstrip(";") for d in DIRECTIVES if d.startswith("client_max_body")]
    limit = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert _size_mb(size) >= max(50, limit["server"]["maxUploadSize"])


def test_sticky_by_a_cookie_nginx_sets_not_by_address() -> None:
    """hash on the cookie (a fresh $request_id without one), consistent; never ip_hash."""
    upstream = _block("upstream ce_viz {")
    assert upstream == [
        "hash $ce_viz_replica consistent;",
        "server 127.0.0.1:8601;",
        "server 127.0.0.1:8602;",
    ]
    assert not any(d.startswith(("ip_hash", "sticky", "least_conn")) for d in DIRECTIVES)
    key = _block("map $cookie_ce_viz_replica $ce_viz_replica {")
    assert key == ['"" $request_id;', "default $cookie_ce_viz_replica;"]
    cookie = _block("map $cookie_ce_viz_replica $ce_viz_set_cookie {")
    assert cookie[0].startswith('"" "ce_viz_replica=$request_id;')
    assert "Path=/" in cookie[0]
    assert cookie[1] == 'default "";'
    server = _block("server {")
    assert "add_header Set-Cookie $ce_viz_set_cookie always;" in server
    assert "proxy_pass http://ce_viz;" in _block("location / {")


def test_it_listens_on_loopback_only_and_keeps_to_its_run_dir() -> None:
    assert [d for d in DIRECTIVES if d.startswith("listen ")] == ["listen 127.0.0.1:@PORT@;"]
    for directive in ("pid", "error_log", "access_log", "client_body_temp_path"):
        (line,) = [d for d in DIRECTIVES if d.startswith(f"{directive} ")]
        assert line.split()[1].startswith("@RUN@/"), line


def test_run_script_is_executable_with_start_and_stop() -> None:
    assert os.access(RUN, os.X_OK)
    text = RUN.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert re.search(r"^start\) start ", text, re.MULTILINE)
    assert re.search(r"^stop\) stop ", text, re.MULTILINE)
    # Replicas on loopback; nginx with its own prefix and config, never the system's service.
    assert "--server.address 127.0.0.1" in text
    assert '-p "$RUN/" -c "$RUN/nginx.conf"' in text
    assert not re.search(r"systemctl|service nginx|nginx\S* -s ", text)


@pytest.mark.skipif(not Path("/usr/sbin/nginx").is_file(), reason="no /usr/sbin/nginx")
def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    """Where nginx is installed, `nginx -t` on the config as deploy/run writes it (nothing
    listens: -t only parses and checks)."""
    (tmp_path / "tmp").mkdir()  # as deploy/run makes it
    conf = tmp_path / "nginx.conf"
    text = TEMPLATE.replace("@RUN@", str(tmp_path)).replace("@PORT@", "8600")
    conf.write_text(text.replace("@SERVERS@", SERVERS), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "NGINX"}
    result = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-q", "-p", f"{tmp_path}/", "-c", str(conf), "-e", "stderr"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
