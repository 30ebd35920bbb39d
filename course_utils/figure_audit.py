"""Does a figure follow the course style? The checks a reviewer would make, as code.

:func:`figure_problems` draws a matplotlib figure off-screen and returns one sentence per
problem it finds (an empty list when there is none):

* **style**: 150 dpi, no top or right spine, a grid, fonts of at least 8 pt, only the
  course's colours (:data:`course_utils.plotting.OKABE_ITO`, greys) and its one colormap;
* **labels**: every axis and colour bar labelled;
* **roles**: every artist drawn for a role (``gid`` ``"role:…"``, see
  :func:`course_utils.plotting.style`) in that role's colour, marker and line style; no
  other artist in a colour a role owns; a curve whose legend names Kaplan, Hoffmann,
  Besiroglu or Moore drawn as that law's role;
* **greyscale**: no two entries of a legend that differ by colour alone;
* **collisions**: no two texts (titles, labels, tick labels, annotations, legend entries,
  the source line) overlapping, no label over a marker, and no legend over the data.

The tests run it on every figure the lessons, exercises and explorers draw.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from course_utils.plotting import BUDGET_CMAP, DPI, GREY, OKABE_ITO, ROLE_STYLE, finish

__all__ = ["figure_problems", "MIN_FONT_PT"]

#: The smallest font a learner should have to read, in points (17 pixels at 150 dpi).
MIN_FONT_PT = 8.0
#: Colours that mean something: each belongs to the roles listed.
_RESERVED = {OKABE_ITO[name].lower(): {role for role, spec in ROLE_STYLE.items()
                                       if (spec["color"] or "").lower() == OKABE_ITO[name].lower()}
             for name in ("blue", "vermillion", "bluish green", "reddish purple", "orange")}
_ALLOWED = {c.lower() for c in OKABE_ITO.values()} | {GREY.lower(), "#ffffff"}
_LAW_NAMES = {"kaplan": "kaplan", "hoffmann": "hoffmann", "besiroglu": "besiroglu", "moore": "moore"}


def _hex(colour: Any) -> str | None:
    """``#rrggbb`` of a colour (the first of an array of them); None for "none" or fully transparent."""
    from matplotlib.colors import to_hex, to_rgba

    if isinstance(colour, str) and colour.lower() == "none":
        return None
    if not isinstance(colour, str) and np.ndim(colour) == 2:
        if len(colour) == 0:
            return None
        colour = colour[0]
    rgba = to_rgba(colour)
    return None if rgba[3] == 0 else to_hex(rgba, keep_alpha=False).lower()


def _is_grey(colour: str) -> bool:
    return colour[1:3] == colour[3:5] == colour[5:7]


def _is_colorbar(ax: Any) -> bool:
    return hasattr(ax, "_colorbar") or ax.get_label() == "<colorbar>"


def _draw(fig: Any) -> Any:
    if getattr(fig, "canvas", None) is None or type(fig.canvas).__name__ == "FigureCanvasBase":
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    finish(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _name(artist: Any) -> str:
    label = artist.get_label() if hasattr(artist, "get_label") else ""
    gid = artist.get_gid() or ""
    what = type(artist).__name__
    return f"{what} {label!r}" + (f" ({gid})" if gid else "") if label and not label.startswith("_") else \
        f"{what}" + (f" ({gid})" if gid else "")


def _data_artists(ax: Any) -> list[Any]:
    return [a for a in [*ax.get_lines(), *ax.collections, *ax.patches] if a.get_visible()]


def _colours_of(artist: Any) -> list[str]:
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    found = []
    if isinstance(artist, Line2D):
        if artist.get_linestyle() not in ("None", "none", " ", ""):
            found.append(_hex(artist.get_color()))
        if artist.get_marker() not in (None, "None", "none", "", " "):
            found += [_hex(artist.get_markeredgecolor()), _hex(artist.get_markerfacecolor())]
    elif isinstance(artist, Collection):
        if artist.get_array() is None:
            found += [_hex(c) for c in artist.get_facecolor()[:1]] + [_hex(c) for c in artist.get_edgecolor()[:1]]
    elif isinstance(artist, Patch):
        found += [_hex(artist.get_facecolor()), _hex(artist.get_edgecolor())]
    return [c for c in found if c]


def _role(artist: Any) -> tuple[str, str] | None:
    gid = artist.get_gid() or ""
    if not gid.startswith("role:"):
        return None
    parts = gid.split(":")
    return parts[1], (parts[2] if len(parts) > 2 else "")


def _style_problems(fig: Any) -> list[str]:
    problems = []
    if fig.dpi < DPI:
        problems.append(f"figure is {fig.dpi:g} dpi, below the course's {DPI}")
    for index, ax in enumerate(fig.axes):
        if _is_colorbar(ax) or not ax.axison:
            continue
        where = f"axes {index} ({ax.get_title() or 'untitled'})"
        if ax.spines["top"].get_visible() or ax.spines["right"].get_visible():
            problems.append(f"{where} keeps its top or right spine (the course style removes them)")
        grid = [line for line in ax.get_xgridlines() + ax.get_ygridlines() if line.get_visible()]
        if not grid:
            problems.append(f"{where} has no grid")
    return problems


def _label_problems(fig: Any) -> list[str]:
    problems = []
    for index, ax in enumerate(fig.axes):
        if not ax.axison:
            continue
        if _is_colorbar(ax):
            if not (ax.get_ylabel() or ax.get_xlabel()):
                problems.append(f"colour bar {index} has no label")
            continue
        where = f"axes {index} ({ax.get_title() or 'untitled'})"
        if not ax.get_xlabel().strip() and ax.get_xticks().size:
            shared = [o for o in ax.get_shared_x_axes().get_siblings(ax) if o is not ax and o.get_xlabel()]
            if not shared:
                problems.append(f"{where} has no x-axis label")
        if not ax.get_ylabel().strip():
            shared = [o for o in ax.get_shared_y_axes().get_siblings(ax) if o is not ax and o.get_ylabel()]
            if not shared:
                problems.append(f"{where} has no y-axis label")
    return problems


def _texts(fig: Any) -> list[Any]:
    texts = [t for t in fig.texts]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        for axis in (ax.xaxis, ax.yaxis):
            try:
                ticks = axis._update_ticks()
            except AttributeError:  # a future matplotlib: fall back to the public list
                ticks = axis.get_major_ticks() + axis.get_minor_ticks()
            texts += [t for tick in ticks for t in (tick.label1, tick.label2)]
        legend = ax.get_legend()
        if legend is not None:
            texts += [*legend.get_texts(), legend.get_title()]
    for legend in fig.legends:
        texts += [*legend.get_texts(), legend.get_title()]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _font_problems(texts: list[Any]) -> list[str]:
    return [f"text {t.get_text()!r} is {t.get_fontsize():g} pt, under {MIN_FONT_PT:g} pt"
            for t in texts if t.get_fontsize() < MIN_FONT_PT - 1e-9]


def _colour_problems(fig: Any) -> list[str]:
    from matplotlib.cm import ScalarMappable

    problems = []
    for ax in fig.axes:
        if _is_colorbar(ax):
            bar = getattr(ax, "_colorbar", None)
            if bar is not None and bar.cmap.name != BUDGET_CMAP:
                problems.append(f"a colour bar uses the colormap {bar.cmap.name!r}, not the course's {BUDGET_CMAP!r}")
            continue
        for artist in _data_artists(ax):
            role = _role(artist)
            if isinstance(artist, ScalarMappable) and artist.get_array() is not None:
                if artist.get_cmap().name != BUDGET_CMAP:
                    problems.append(f"{_name(artist)} uses the colormap {artist.get_cmap().name!r}")
                continue
            if role is not None and role[0] == "budget":
                continue
            for colour in _colours_of(artist):
                if colour not in _ALLOWED and not _is_grey(colour):
                    problems.append(f"{_name(artist)} is drawn in {colour}, not a course colour")
                elif colour in _RESERVED and (role is None or role[0] not in _RESERVED[colour]):
                    owners = ", ".join(sorted(_RESERVED[colour]))
                    problems.append(f"{_name(artist)} is drawn in {colour}, the colour of {owners}, "
                                    f"without being one of them (draw it with plotting.style)")
    return problems


def _linestyle(line: Any) -> str:
    style = line.get_linestyle()
    return {"solid": "-", "dashed": "--", "dashdot": "-.", "dotted": ":"}.get(style, style)


def _has_marker(line: Any) -> bool:
    return line.get_marker() not in (None, "None", "none", "", " ")


def _role_problems(fig: Any) -> list[str]:
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    problems = []
    for ax in fig.axes:
        for artist in _data_artists(ax) + list(ax.texts):
            tagged = _role(artist)
            label = artist.get_label() if isinstance(artist, Line2D) else ""
            if label and not label.startswith("_"):
                for word, law in _LAW_NAMES.items():
                    if word in label.lower() and (tagged is None or tagged[0] != law):
                        problems.append(f"{_name(artist)} names {law.title()} but is not drawn as the {law} role")
            if tagged is None:
                continue
            role, part = tagged
            if role not in ROLE_STYLE:
                problems.append(f"{_name(artist)} has an unknown role {role!r}")
                continue
            spec = ROLE_STYLE[role]
            colour = (spec["color"] or "").lower()
            if isinstance(artist, Line2D):
                ls = _linestyle(artist)
                if colour and _hex(artist.get_color()) != colour:
                    problems.append(f"{_name(artist)} is {_hex(artist.get_color())}, not {role}'s {colour}")
                if part == "error":
                    continue
                if part == "level":
                    want = spec.get("level_style", ":")
                    if ls != want:
                        problems.append(f"{_name(artist)}: a {role} level is drawn {want!r}, not {ls!r}")
                elif part == "extrapolated":
                    if ls != "--":
                        problems.append(f"{_name(artist)}: an extrapolation is dashed, not {ls!r}")
                elif ls in ("None", "none", "", " "):
                    if artist.get_marker() != spec["marker"]:
                        problems.append(f"{_name(artist)}: {role} points are {spec['marker']!r}, "
                                        f"not {artist.get_marker()!r}")
                    open_face = _hex(artist.get_markerfacecolor()) in (None, "#ffffff")
                    if bool(spec.get("open")) != open_face and role != "budget":
                        fill = "open" if spec.get("open") else "filled"
                        problems.append(f"{_name(artist)}: {role} points are {fill}")
                else:
                    if ls != "-":
                        problems.append(f"{_name(artist)}: a {role} curve over its data is solid, not {ls!r}")
                    if spec.get("line_marker") and artist.get_marker() != spec["marker"]:
                        problems.append(f"{_name(artist)}: a {role} curve carries {spec['marker']!r} markers")
            elif isinstance(artist, (Collection, Patch)) and colour:
                faces = artist.get_facecolor()
                face = _hex(faces if isinstance(artist, Patch) else (faces[0] if len(faces) else "none"))
                if face is not None and face != colour:
                    problems.append(f"{_name(artist)}: a {role} {part or 'area'} is {face}, not {colour}")
    return problems


def _greyscale_key(line: Any, role: str, part: str) -> tuple:
    if _linestyle(line) in ("None", "none", "", " "):
        return ("points", line.get_marker(), _hex(line.get_markerfacecolor()) in (None, "#ffffff"))
    return ("line", _linestyle(line), line.get_marker() if _has_marker(line) else None,
            line.get_linewidth() <= 1.2)


def _greyscale_problems(fig: Any) -> list[str]:
    problems = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        shown = {t.get_text() for t in legend.get_texts()}
        seen: dict[tuple, str] = {}
        for line in ax.get_lines():
            label, tagged = line.get_label(), _role(line)
            if label not in shown or tagged is None or tagged[1] == "error":
                continue
            key = _greyscale_key(line, *tagged)
            if key in seen and seen[key] != label:
                problems.append(f"legend entries {seen[key]!r} and {label!r} differ by colour alone")
            seen.setdefault(key, label)
    return problems


def _overlap_problems(texts: list[Any], renderer: Any) -> list[str]:
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    problems = []
    for (a, box_a), (b, box_b) in combinations(boxes, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > 1.0 and height > 1.0:
            problems.append(f"texts {a.get_text()!r} and {b.get_text()!r} overlap")
    return problems


def _label_over_marker_problems(fig: Any, renderer: Any) -> list[str]:
    """Annotations written over a marker of the same axes (a label hiding a point)."""
    problems = []
    for ax in fig.axes:
        markers = [line for line in ax.get_lines() if line.get_visible() and _has_marker(line)]
        for text in ax.texts:
            if not (text.get_visible() and text.get_text().strip()):
                continue
            box = text.get_window_extent(renderer).padded(-1.0)
            for line in markers:
                centres = line.get_transform().transform(np.column_stack(line.get_data()).astype(float))
                if box.count_contains(centres):
                    problems.append(f"the label {text.get_text()!r} covers a marker of {_name(line)}")
                    break
    return problems


def _legend_problems(fig: Any, renderer: Any) -> list[str]:
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D

    problems = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or _is_colorbar(ax):
            continue
        box = legend.get_window_extent(renderer)
        if not box.overlaps(ax.get_window_extent(renderer)):
            continue
        for artist in _data_artists(ax):
            covered = False
            if isinstance(artist, Line2D):
                path = artist.get_transform().transform_path(artist.get_path())
                if _linestyle(artist) in ("None", "none", "", " "):
                    covered = bool(box.count_contains(path.vertices))
                else:
                    covered = path.intersects_bbox(box, filled=False)
            elif isinstance(artist, Collection):
                offsets = artist.get_offsets()
                if len(artist.get_paths()) and (artist.get_array() is None and len(offsets) <= 1):
                    transform = artist.get_transform()
                    covered = any(transform.transform_path(p).intersects_bbox(box, filled=True)
                                  for p in artist.get_paths())
                elif len(offsets):
                    covered = bool(box.count_contains(artist.get_offset_transform().transform(offsets)))
            if covered:
                problems.append(f"the legend covers {_name(artist)}: put it outside the data (plotting.legend)")
    return problems


def figure_problems(fig: Any) -> list[str]:
    """Every way ``fig`` departs from the course style, one sentence each ([] when it follows it)."""
    renderer = _draw(fig)
    texts = _texts(fig)
    return [*_style_problems(fig), *_label_problems(fig), *_font_problems(texts), *_colour_problems(fig),
            *_role_problems(fig), *_greyscale_problems(fig), *_overlap_problems(texts, renderer),
            *_label_over_marker_problems(fig, renderer), *_legend_problems(fig, renderer)]
