"""Static snapshots of Jupyter widgets, for pages read without a kernel or a network.

A notebook executed by :func:`course_utils.nbtools.execute_notebook` keeps the state of every
widget it displayed in ``nb.metadata.widgets`` (nbclient saves it, binary buffers such as an
explorer's PNG included, base64-encoded). Rendering that state needs the widget manager's
JavaScript, which nbconvert loads from a CDN — so offline every explorer and progress bar was
an empty box. :func:`snapshot_widgets` instead replaces each widget output by plain HTML drawn
from the saved state: boxes become flex rows and columns, text and HTML widgets their value,
an image its PNG, a slider a disabled slider with its value, a progress bar a ``<progress>``
element. What the learner sees is the explorer's first view (its state after the notebook
ran), marked as a snapshot; moving a slider needs Jupyter.
"""

from __future__ import annotations

import html
import math
from typing import Any, Callable

from nbformat import NotebookNode

__all__ = ["WIDGET_VIEW", "WIDGET_STATE", "snapshot_widgets", "render_widget"]

#: the MIME type of a widget output, and the notebook-metadata key of the saved widget state
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_REFERENCE = "IPY_MODEL_"
_CONTROLS = {"IntSlider", "FloatSlider", "FloatLogSlider", "IntRangeSlider", "FloatRangeSlider",
             "SelectionSlider", "SelectionRangeSlider", "Text", "Textarea", "IntText", "FloatText",
             "BoundedIntText", "BoundedFloatText", "Dropdown", "Select", "RadioButtons", "ToggleButtons",
             "Checkbox", "ToggleButton", "Button", "Combobox"}
_NOTE = ('<div class="cu-static-note" style="font-size:85%;color:#666;margin-top:4px">'
         "A snapshot of this explorer as first drawn: open the notebook in Jupyter to move its controls."
         "</div>")


def _saved_state(nb: NotebookNode) -> dict[str, dict]:
    widgets = nb.get("metadata", {}).get("widgets", {})
    return dict(widgets.get(WIDGET_STATE, {}).get("state", {}))


def _reference(value: Any) -> str | None:
    return value[len(_REFERENCE):] if isinstance(value, str) and value.startswith(_REFERENCE) else None


def _classes(model: dict, kind: str) -> str:
    names = ["cu-static", f"cu-static-{kind.lower()}", *model["state"].get("_dom_classes", [])]
    return html.escape(" ".join(names), quote=True)


def _label(state: dict) -> str:
    text = state.get("description", "")
    return f'<span style="margin-right:6px">{html.escape(str(text))}</span>' if text else ""


def _number(value: Any) -> str:
    if isinstance(value, float) and (abs(value) >= 1e5 or 0 < abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:g}" if isinstance(value, float) else html.escape(str(value))


def _buffer(model: dict, name: str) -> str | None:
    for buffer in model.get("buffers", []):
        if buffer.get("path") == [name] and buffer.get("encoding") == "base64":
            return buffer["data"]
    value = model["state"].get(name)
    return value if isinstance(value, str) and value else None


def _slider(state: dict, name: str) -> str:
    low, high, value = state.get("min", 0), state.get("max", 100), state.get("value", 0)
    if isinstance(value, list):  # a range slider: two handles
        shown = " – ".join(_number(v) for v in value)
        return f'{_label(state)}<b>{shown}</b>'
    position = value
    if name == "FloatLogSlider":  # min and max are exponents
        base = float(state.get("base", 10.0))
        position = math.log(value, base) if isinstance(value, (int, float)) and value > 0 else low
    return (f'{_label(state)}<input type="range" disabled min="{low}" max="{high}" '
            f'step="any" value="{position}" style="width:220px;vertical-align:middle"> '
            f"<b>{_number(value)}</b>")


def _choice(state: dict) -> str:
    labels = state.get("_options_labels", [])
    index = state.get("index")
    chosen = labels[index] if isinstance(index, int) and 0 <= index < len(labels) else ""
    return (f'{_label(state)}<select disabled><option selected>{html.escape(str(chosen))}</option>'
            "</select>")


def _output_area(state: dict) -> str:
    parts = []
    for output in state.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(f"<pre>{html.escape(str(output.get('text', '')))}</pre>")
            continue
        data = output.get("data", {})
        if "image/png" in data:
            parts.append(f'<img src="data:image/png;base64,{data["image/png"]}">')
        elif "text/html" in data:
            parts.append("".join(data["text/html"]))
        elif "text/plain" in data:
            parts.append(f"<pre>{html.escape(''.join(data['text/plain']))}</pre>")
    return "".join(parts)


def _leaf(model: dict, name: str) -> str:
    state = model["state"]
    if name in {"HTML", "HTMLMath"}:
        return f"{_label(state)}{state.get('value', '')}"
    if name == "Label":
        return html.escape(str(state.get("value", "")))
    if name == "Image":
        data = _buffer(model, "value")
        if not data:
            return ""
        width = (state.get("width") or "")
        return (f'<img src="data:image/{html.escape(str(state.get("format", "png")))};base64,{data}" '
                f'style="max-width:100%{";width:" + html.escape(str(width)) if width else ""}">')
    if name in {"FloatProgress", "IntProgress"}:
        return (f'{_label(state)}<progress value="{state.get("value", 0)}" max="{state.get("max", 100)}" '
                f'style="width:240px;vertical-align:middle"></progress>')
    if name.endswith("Slider"):
        return _slider(state, name)
    if name in {"Dropdown", "Select", "RadioButtons", "ToggleButtons", "Combobox"}:
        return _choice(state)
    if name in {"Checkbox", "ToggleButton"}:
        checked = " checked" if state.get("value") else ""
        return f'<label><input type="checkbox" disabled{checked}> {html.escape(str(state.get("description", "")))}</label>'
    if name == "Button":
        return f"<button disabled>{html.escape(str(state.get('description', '')))}</button>"
    if name in {"Text", "Textarea", "IntText", "FloatText", "BoundedIntText", "BoundedFloatText", "Password"}:
        value = html.escape(str(state.get("value", "")), quote=True)
        return f'{_label(state)}<input type="text" disabled value="{value}" style="width:110px">'
    if name == "Output":
        return _output_area(state)
    return f"<i>[{html.escape(name)}: interactive in Jupyter only]</i>"


def _hidden(state: dict, layouts: Callable[[str], dict]) -> bool:
    layout = layouts(_reference(state.get("layout")) or "")
    return layout.get("display") == "none" or layout.get("visibility") == "hidden"


def render_widget(state: dict[str, dict], model_id: str, _depth: int = 0) -> str:
    """Static HTML for widget ``model_id`` and its children, from a saved widget ``state``.

    ``state`` maps model ids to ``{"model_name", "state", "buffers"?}`` as nbclient saves
    them. An unknown widget is named, never dropped silently; a missing one renders as "".
    """
    model = state.get(model_id)
    if model is None or _depth > 50:
        return ""
    name = model.get("model_name", "").removesuffix("Model")
    widget_state = model.get("state", {})
    if _hidden(widget_state, lambda ref: state.get(ref, {}).get("state", {})):
        return ""
    if "children" in widget_state and name.endswith("Box"):
        direction = "row" if name == "HBox" else "column"
        children = "".join(render_widget(state, ref, _depth + 1)
                           for ref in map(_reference, widget_state.get("children", [])) if ref)
        return (f'<div class="{_classes(model, name)}" style="display:flex;flex-direction:{direction};'
                f'flex-wrap:wrap;gap:4px 10px;align-items:{"center" if direction == "row" else "stretch"}">'
                f"{children}</div>")
    return f'<div class="{_classes(model, name)}">{_leaf(model, name)}</div>'


def _has_controls(state: dict[str, dict], model_id: str, _depth: int = 0) -> bool:
    model = state.get(model_id, {})
    if model.get("model_name", "").removesuffix("Model") in _CONTROLS:
        return True
    return _depth < 50 and any(_has_controls(state, ref, _depth + 1)
                               for ref in map(_reference, model.get("state", {}).get("children", [])) if ref)


def snapshot_widgets(nb: NotebookNode) -> NotebookNode:
    """Replace every widget output of ``nb`` by a static HTML snapshot (in place, and returned).

    The saved widget state is removed from the notebook's metadata afterwards, so that no
    exporter tries to load a widget renderer for it. A widget output whose state was not
    saved keeps its plain-text form.
    """
    state = _saved_state(nb)
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            model_id = view.get("model_id", "")
            snapshot = render_widget(state, model_id)
            data = {key: value for key, value in output["data"].items() if key != WIDGET_VIEW}
            if snapshot:
                note = _NOTE if _has_controls(state, model_id) else ""
                data["text/html"] = f'<div class="cu-widget-snapshot">{snapshot}{note}</div>'
            output["data"] = data
    nb.get("metadata", {}).pop("widgets", None)
    return nb
