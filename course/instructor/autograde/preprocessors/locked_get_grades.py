"""`LockedGetGrades` (feedback): nbgrader's GetGrades under the gradebook lock; it also hands
the hidden tests' lines to `ScrubHiddenTestEcho`."""
from __future__ import annotations

import re
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.preprocessors import GetGrades

from course import cells as nbcells

from .. import journal
from .resources import course_info


class LockedGetGrades(GetGrades):
    """nbgrader's GetGrades under the gradebook lock; also fetches the hidden tests' lines."""

    def preprocess(self, nb, resources):
        root = Path(course_info(resources).get("root") or resources.get("metadata", {}).get("path", "."))

        def read():
            result = super(LockedGetGrades, self).preprocess(nb, resources)
            with Gradebook(resources["nbgrader"]["db_url"]) as gb:
                notebook = gb.find_notebook(resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"])
                hidden = [region for cell in notebook.source_cells for region in nbcells.hidden_regions(cell.source)]
            course_info(resources)["hidden_lines"] = hidden_lines(hidden)
            return result

        return journal.locked(root, read)


def hidden_lines(regions: list[str]) -> list[str]:
    lines = {line.strip() for region in regions for line in region.splitlines()}
    lines |= {nbcells.HIDDEN_BEGIN, nbcells.HIDDEN_END}
    return sorted((line for line in lines if len(line) >= 12 and re.search(r"[A-Za-z0-9]", line)),
                  key=len, reverse=True)
