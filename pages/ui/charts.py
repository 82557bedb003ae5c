"""Chart conventions, in one place: whole-number axes for counts, legends that are never cut, one
colour per label (the same as the Annotate buttons and NER spans), values written in heatmap cells."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt

from workbench.keymap import label_colours

#: the project's own labelling run on learning curves: dark, so the simulated runs' colours never resemble it
LIVE_RUN = "live"
LIVE_COLOUR = "#222222"


def count_axis(title: str | None = None) -> alt.Axis:
    """An axis for counts: whole-number ticks only (no 0.5 records), thousands separators."""
    return alt.Axis(title=title, tickMinStep=1, format=",d")


def legend(title: str | None = None) -> alt.Legend:
    """A legend below the chart whose labels and title are never truncated."""
    return alt.Legend(title=title, orient="bottom", labelLimit=0, titleLimit=0, columns=4)


def label_scale(labels: Sequence[str]) -> alt.Scale:
    """Colours of the schema's labels, in schema order (:func:`workbench.keymap.label_colours`)."""
    labels = list(labels)
    return alt.Scale(domain=labels, range=label_colours(len(labels)))


def run_scale(runs: Sequence[str]) -> alt.Scale:
    """Learning-curve runs: ``live`` in near-black, every other run its own palette colour."""
    others = [r for r in dict.fromkeys(runs) if r != LIVE_RUN]
    domain = ([LIVE_RUN] if LIVE_RUN in runs else []) + others
    colours = ([LIVE_COLOUR] if LIVE_RUN in runs else []) + label_colours(len(others))
    return alt.Scale(domain=domain, range=colours)


def heatmap(rows: list[dict], x: str, y: str, value: str, *, x_title: str | None = None,
            y_title: str | None = None) -> alt.LayerChart:
    """Cells coloured by ``value`` with the value written in each (dark text on light cells, light on dark)."""
    top = max((r[value] for r in rows), default=0)
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X(f"{x}:N", title=x_title if x_title is not None else x, axis=alt.Axis(labelLimit=0)),
        y=alt.Y(f"{y}:N", title=y_title if y_title is not None else y, axis=alt.Axis(labelLimit=0)))
    cells = base.mark_rect().encode(color=alt.Color(f"{value}:Q", legend=None, scale=alt.Scale(scheme="blues")),
                                    tooltip=[f"{y}:N", f"{x}:N", alt.Tooltip(f"{value}:Q", format=",d")])
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text(f"{value}:Q", format=",d"),
        color=alt.condition(f"datum['{value}'] > {top / 2}", alt.value("white"), alt.value("black")))
    return cells + text
