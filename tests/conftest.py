"""The grading plugin for the whole suite, and the contact sheet of every figure.

The grading plugin: exercise tests grade a notebook through ``student``. Registered here, at
the top of ``tests/``, so the ``--target`` option works from a bare ``pytest`` as well as from
``pytest tests/exercises``. ``pytest tests/exercises --target exercises`` grades the blank
notebooks (all must fail), ``--target my_work`` a folder of your own, ``--target
path/to/ex02_power_laws.ipynb`` one notebook; the default is ``solutions``. The hooks and the
fixture live in :mod:`course_utils.grading.plugin`.

The contact sheet: the notebook tests save every figure a lesson, exercise or explorer draws
in ``test-artifacts/figures/`` (:mod:`notebook_figures`); when the run ends, they are put
side by side in one image, ``test-artifacts/figures-contact-sheet.png``, for a reviewer.
"""

from pathlib import Path

from course_utils.grading.plugin import (pytest_addoption, pytest_configure, student,  # noqa: F401
                                         student_seed)

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def contact_sheet(folder: Path, out: Path, columns: int = 4, width: int = 640) -> Path | None:
    """Every PNG in ``folder`` as a thumbnail ``width`` pixels wide, named, ``columns`` to a row."""
    from PIL import Image, ImageDraw

    paths = sorted(folder.glob("*.png"))
    if not paths or (out.exists() and out.stat().st_mtime >= max(p.stat().st_mtime for p in paths)):
        return None
    thumbs = []
    for path in paths:
        with Image.open(path) as image:
            image = image.convert("RGB")
            thumbs.append((path.stem, image.resize((width, max(1, round(image.height * width / image.width))))))
    label, gap = 22, 12
    rows = [thumbs[i:i + columns] for i in range(0, len(thumbs), columns)]
    heights = [max(t.height for _, t in row) + label + gap for row in rows]
    sheet = Image.new("RGB", (columns * (width + gap) + gap, sum(heights) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    y = gap
    for row, height in zip(rows, heights):
        for column, (name, thumb) in enumerate(row):
            x = gap + column * (width + gap)
            draw.text((x, y), name, fill="black")
            sheet.paste(thumb, (x, y + label))
        y += height
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes it once
        return
    contact_sheet(ARTIFACTS / "figures", ARTIFACTS / "figures-contact-sheet.png")
