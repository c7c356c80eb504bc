"""``foldpress serve``: the time from saving a post to the reload event an open page gets.

Starts ``foldpress serve`` on a generated blog (bench/generate_corpus.py), listens on the
live-reload channel (``/__foldpress__/events``) as an open page's EventSource does, then
appends a line to a post and times how long it takes until the ``reload`` event
arrives, several times; prints the median and the range:

    .venv/bin/python bench/bench_serve_reload.py --posts 1000 --edits 7
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from generate_corpus import generate  # noqa: E402


def next_event(stream: http.client.HTTPResponse) -> str:
    """The name of the next event on the stream."""
    name = ""
    while True:
        line = stream.readline().decode()
        if not line:
            raise RuntimeError("the event stream ended")
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line == "\n" and name:
            return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=7, help="saves to time (default 7)")
    parser.add_argument("--site", type=Path, help="serve this site instead of a generated one")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="foldpress-serve-bench-"))
    site = args.site or work / "site"
    if not args.site:
        generate(site, args.posts)
    foldpress = Path(sys.executable).parent / "foldpress"
    server = subprocess.Popen(
        [str(foldpress), "serve", str(site), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # the first build, then the address
            match = re.search(r"at http://([\d.]+):(\d+)", line)
            if match:
                host, port = match.group(1), int(match.group(2))
                break
        else:
            raise RuntimeError("foldpress serve did not start")
        connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.request("GET", "/__foldpress__/events")
        stream = connection.getresponse()
        post = sorted((site / "posts").rglob("*.md"))[-1]
        time.sleep(1.0)  # the watcher is running
        latencies = []
        for n in range(args.edits):
            with open(post, "a", encoding="utf-8") as f:
                saved = time.perf_counter()
                f.write(f"\nEdit {n} at {time.time()}.\n")
            while next_event(stream) != "reload":
                pass
            latencies.append((time.perf_counter() - saved) * 1000)
            time.sleep(0.5)
        print(
            f"{args.posts if not args.site else site} posts: save to reload event, "
            f"median {statistics.median(latencies):.0f} ms "
            f"(range {min(latencies):.0f}-{max(latencies):.0f} ms, {len(latencies)} saves)"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
