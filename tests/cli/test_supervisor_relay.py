"""`jjj up` relays its children's output a whole line at a time, however long the line and however it was written.

A pipe shared by several writers keeps a write whole only up to PIPE_BUF (4 KiB), so
children sharing the supervisor's stdout could still cut each other's long records
(a traceback, say). Each child has a pipe of its own instead and the supervisor copies
lines: here children write 16 KiB records in three pieces each, and what comes out of
the relaying process is still one record per line.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import json, sys
out = sys.stdout.buffer
for seq in range({count}):
    line = json.dumps({{"event": "load", "level": "info", "child": sys.argv[1], "seq": seq, "padding": "x" * {padding}}}).encode()
    for piece in (line[:100], line[100:-1], line[-1:] + b"\\n"):  # the worst a writer could do
        out.write(piece)
        out.flush()
"""

RELAYING = """
import subprocess, sys, threading
from cli.supervisor import relay_lines
children = [subprocess.Popen([sys.executable, "-c", {child!r}, str(n)], stdout=subprocess.PIPE) for n in range({children})]
relays = [threading.Thread(target=relay_lines, args=(child.stdout,)) for child in children]
for relay in relays:
    relay.start()
for child, relay in zip(children, relays):
    child.wait()
    relay.join()
"""


def test_long_records_of_several_children_come_out_one_per_line():
    children, count = 4, 150
    script = RELAYING.format(child=CHILD.format(count=count, padding=16 * 1024), children=children)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(records) == children * count
    for child in range(children):
        assert [r["seq"] for r in records if r["child"] == str(child)] == list(range(count))
