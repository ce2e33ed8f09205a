"""Where a process spends its time: py-spy samples (collapsed stacks), summarised for the results."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT

PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
_LINE = re.compile(r":\d+\)$")
IDLE = ("select (selectors.py", "_run_once (asyncio/base_events.py", "wait (threading.py", "Condition.wait")


def available() -> bool:
    return PY_SPY.exists()


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes] | None:
    """Start sampling ``pid`` for ``seconds`` at 100 Hz (all threads, idle excluded); None without py-spy."""
    if not available():
        return None
    return subprocess.Popen(
        [
            *(str(PY_SPY), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100"),
            *("--format", "raw", "--nonblocking", "--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _short(frame: str) -> str:
    frame = _LINE.sub(")", frame.strip())
    return frame.replace(str(ROOT) + "/", "").replace(".venv/lib/python3.11/site-packages/", "")


@dataclass
class Profile:
    samples: int = 0
    own: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)

    @classmethod
    def load(cls, path: Path) -> Profile:
        prof = cls()
        if not path.exists():
            return prof
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = [_short(f) for f in stack.split(";") if f.strip()]
            # The thread name comes first in py-spy's raw output; keep Python frames only.
            frames = [f for f in frames if "(" in f]
            if not frames:
                continue
            n = int(count)
            prof.samples += n
            prof.own[frames[-1]] += n
            for frame in set(frames):
                prof.inclusive[frame] += n
        return prof

    def markdown(self, title: str, top: int = 12, ours: tuple[str, ...] = ("services/", "shared/")) -> str:
        if not self.samples:
            return f"_{title}: no samples (py-spy not installed or the process ended early)._\n"
        rows = [f"**{title}** ({self.samples} samples at 100 Hz, all threads)\n"]
        rows.append("| self % | function (leaf frame) |\n|---:|---|")
        rows += [f"| {n * 100 / self.samples:.1f} | `{f}` |" for f, n in self.own.most_common(top)]
        rows.append("\n| incl. % | project function (on the stack) |\n|---:|---|")
        mine = [(f, n) for f, n in self.inclusive.most_common() if any(f"({p}" in f for p in ours)]
        rows += [f"| {n * 100 / self.samples:.1f} | `{f}` |" for f, n in mine[:top]]
        return "\n".join(rows) + "\n"
