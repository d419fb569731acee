"""`tinyml inspect --memory PNG`: the arena over time, one box per buffer (x: operator,
y: arena offset), scratch buffers hatched, the peak operator marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..format.blob import Blob


def draw_memory(b: Blob, info: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    n = len(b.ops)
    span: dict[int, list[int]] = {}
    for row in info["live"]:
        for t in row["tensors"]:
            span.setdefault(t, [row["op"], row["op"]])[1] = row["op"]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * n + 2), 5))
    cmap = plt.get_cmap("tab20")
    for i, (t, (a, z)) in enumerate(sorted(span.items())):
        tt = b.tensors[t]
        ax.add_patch(Rectangle((a - 0.45, tt.offset), z - a + 0.9, tt.nbytes,
                               facecolor=cmap(i % 20), edgecolor="black", linewidth=0.5,
                               alpha=0.8))
        if tt.nbytes >= info["arena_bytes"] * 0.06:
            ax.text(a - 0.4, tt.offset + tt.nbytes / 2, f"t{t}", fontsize=7, va="center")
    for row in info["live"]:
        off, size = row["scratch"]
        if size:
            ax.add_patch(Rectangle((row["op"] - 0.45, off), 0.9, size, facecolor="none",
                                   edgecolor="red", hatch="///", linewidth=0.8))
    ax.axvline(info["peak_op"], color="grey", linestyle=":", linewidth=1)
    ax.axhline(info["arena_bytes"], color="black", linewidth=1)
    ax.axhline(info["lower_bound_bytes"], color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(-1, max(n, 1))
    ax.set_ylim(0, max(info["arena_bytes"], info["lower_bound_bytes"]) * 1.08)
    ax.set_xlabel("operator")
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"{b.name}: arena {info['arena_bytes']} B (solid), lower bound without "
                 f"in-place {info['lower_bound_bytes']} B (dashed), peak at op "
                 f"{info['peak_op']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
