"""`RestoreCells` (sanitizing, instead of nbgrader's OverwriteCells).

nbgrader 0.9.6 puts back the gradebook's source of an edited locked cell, but a *deleted* test
cell leaves its exercise "needs manual grade" (its `add_missing_cells` option is off by default
and fails when the cell before the missing one is not a graded cell), and a *moved* one runs
where the student put it. This one puts the graded cells back in the release notebook's order
and restores every missing locked cell from the gradebook at its place there, and records what
it found changed, moved, deleted or retyped for the tamper report (the job's `JobState.sanitize`).
"""
from __future__ import annotations

import nbformat
from nbformat import NotebookNode
from nbformat.v4.nbbase import random_cell_id
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import OverwriteCells
from traitlets import Instance

from course import cells as nbcells

from .. import history
from ..record import JobState
from .resources import release_cells, release_notebook

_grade_id = nbcells.grade_id


def _without_hidden(source: str) -> str:
    text = nbcells.without_hidden_tests(source)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _points(cell):
    return cell.metadata.get("nbgrader", {}).get("points")


class RestoreCells(OverwriteCells):
    """OverwriteCells, plus: graded cells in the release's order, deleted locked cells restored;
    every change found recorded."""

    job_state = Instance(JobState, args=())  # the submission's record: the findings go in its `sanitize`

    def preprocess(self, nb, resources):
        self._findings: list[dict] = []
        self._release = release_cells(resources)
        nbg = resources["nbgrader"]
        with Gradebook(nbg["db_url"]) as gb:
            self._earlier = history.earlier(gb.engine, nbg["assignment"], nbg["notebook"])
        self._present = {_grade_id(c) for c in nb.cells if _grade_id(c)}
        nb, resources = super().preprocess(nb, resources)
        with Gradebook(self.db_url) as gb:
            self._restore_order(gb, nb, resources)
            self._missing_answers(gb)
        self.job_state.sanitize[resources["nbgrader"]["notebook"]] = self._findings
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                if any(grade_id in cells for cells in self._earlier.values()):
                    self._findings.append({"kind": "removed cell", "cell": grade_id,
                                           "detail": "a cell of an earlier release, not in the current one: not graded"})
                else:
                    self._findings.append({"kind": "unknown cell id", "cell": grade_id,
                                           "detail": "a cell claims an nbgrader id the assignment does not have"})
            else:
                if cell.cell_type != source.cell_type:
                    self._findings.append({"kind": "changed cell type", "cell": grade_id,
                                           "detail": f"{source.cell_type} -> {cell.cell_type}"})
                # The gradebook's copy holds the hidden tests and the student's never does, so
                # compare with what the student was given: the release notebook's cell.
                given = self._release.get(grade_id)
                if given is not None:
                    changed = cell.source != given.source or _points(cell) != _points(given)
                else:  # no release notebook: the gradebook's copy without its hidden tests
                    changed = _without_hidden(cell.source) != _without_hidden(source.source)
                then = self._as_earlier(grade_id, cell) if source.locked and changed else None
                if then is not None:
                    was = (f" (worth {then['points']:g} points there, {_points(given or cell):g} now)"
                           if then["points"] is not None and then["points"] != _points(given or cell) else "")
                    self._findings.append({"kind": "earlier release cell", "cell": grade_id, "was": was,
                                           "detail": f"as an earlier release had it{was}: the current release's "
                                                     "cell was graded"})
                elif source.locked and changed:
                    self._findings.append({"kind": "changed locked cell", "cell": grade_id,
                                           "detail": "restored from the gradebook before grading"})
        return super().preprocess_cell(cell, resources, index)

    def _layout(self, resources, names: list[str]):
        """Where the assignment has its cells: {grade_id: rank}, and the index of each of its
        other cells by cell id and by source.

        Ranks sort the graded cells in the release notebook's order (the source notebook's when
        there is no release). Without either notebook the gradebook's order is all there is:
        nbgrader stores no position, but records source cells in notebook order, and the
        database usually returns them so (the cell's row id is a uuid, no order at all).
        """
        known = set(names)
        layout = None
        for folder in ("release", "source"):
            layout = release_notebook(resources, folder)
            if layout is not None and any(_grade_id(c) in known for c in layout.cells):
                break
            layout = None
        rank: dict[str, tuple] = {}
        by_id: dict[str, int] = {}
        by_source: dict[str, int] = {}
        for index, cell in enumerate(layout.cells if layout is not None else []):
            grade_id = _grade_id(cell)
            if grade_id in known:
                rank.setdefault(grade_id, (index, 0))
            elif not grade_id:
                if cell.get("id"):
                    by_id.setdefault(cell.get("id"), index)
                if cell.source.strip():
                    by_source.setdefault(cell.source.strip(), index)
        # a cell the gradebook has and that notebook lacks goes right after the one before it in
        # the gradebook, so that every graded cell has its place
        last, extra = -1, 0
        for name in names:
            if name in rank:
                last, extra = rank[name][0], 0
            else:
                extra += 1
                rank[name] = (last, extra)
        return rank, by_id, by_source

    def _restore_order(self, gb, nb, resources) -> None:
        """Put the graded cells in the release's order and restore deleted locked cells.

        A graded cell is a cell with a grade id the gradebook knows (unknown ids were removed by
        OverwriteCells). The student's other cells stay with the graded cell before them, or at
        the top before the first one; so only the graded cells the student moved go back, each
        with the cells the student added right after it. The release's own cells that follow a
        moved graded cell were there before it was dropped in front of them, and stay.
        """
        record = gb.find_notebook(self.notebook_id, self.assignment_id)
        sources = {c.name: c for c in record.source_cells}
        rank, by_id, by_source = self._layout(resources, list(sources))
        # The release's cells are known by their cell ids, kept by Jupyter; by their source only
        # when none is (an old Jupyter gave them new ids): a copy the student pasted elsewhere
        # has an id of its own, and is the student's cell.
        with_ids = any(c.get("id") in by_id for c in nb.cells if not _grade_id(c))

        def where(cell) -> int:
            """The release notebook's index of this non-graded cell; -1 if the release lacks it."""
            if with_ids:
                index = by_id.get(cell.get("id"))
            else:
                index = by_source.get(cell.get("source", "").strip()) if cell.get("source", "").strip() else None
            return -1 if index is None else index

        head, units, anchors = [], [], {}
        for cell in nb.cells:
            grade_id = _grade_id(cell)
            if grade_id in rank and grade_id not in anchors.values():
                anchors[id(cell)] = grade_id
                units.append([cell])
            elif units:
                units[-1].append(cell)
            else:
                head.append(cell)

        tests = {c.name for c in record.grade_cells} - {c.name for c in record.solution_cells}
        kept = _increasing([rank[anchors[id(unit[0])]] for unit in units])
        cells, placing = list(head), []
        for index, unit in enumerate(units):
            if index in kept:
                cells += unit
                continue
            own = 1
            while own < len(unit) and where(unit[own]) < 0:
                own += 1
            placing.append(unit[:own])
            cells += unit[own:]
            name = anchors[id(unit[0])]
            self._findings.append({"kind": "moved graded cell", "cell": name, "test": name in tests,
                                   "detail": "put back at its place in the assignment before grading"})

        present = set(anchors.values())
        solution_ids = {c.name for c in record.solution_cells}
        for name in sorted(rank, key=rank.get):
            if name in present or name not in sources or not sources[name].locked or name in solution_ids:
                continue
            cell = self._restored(record, sources[name])
            if nb.nbformat == 4 and nb.nbformat_minor >= 5:  # cell ids exist from nbformat 4.5 on
                cell.id = random_cell_id()
            anchors[id(cell)] = name
            placing.append([cell])
            if self._added_since(name):
                self._findings.append({"kind": "added cell", "cell": name, "test": name in tests,
                                       "detail": "added to the assignment after the release this notebook was "
                                                 "started on: put in and " + ("graded" if name in tests else "run")})
            elif name in tests:
                self._findings.append({"kind": "deleted locked cell", "cell": name,
                                       "detail": "restored from the gradebook and graded"})
            else:  # not graded: deleted, or the notebook was started on a release that lacked it
                self._findings.append({"kind": "missing given cell", "cell": name,
                                       "detail": "restored from the gradebook and run at its place"})

        for unit in sorted(placing, key=lambda u: rank[anchors[id(u[0])]]):
            place = rank[anchors[id(unit[0])]]
            graded = [i for i, c in enumerate(cells) if id(c) in anchors]
            before = [i for i in graded if rank[anchors[id(cells[i])]] < place]
            start = before[-1] + 1 if before else 0
            end = next((i for i in graded if i >= start), len(cells))
            # after what the release has before this cell, before what it has after it
            at = next((i for i in range(start, end) if where(cells[i]) > place[0]), end)
            cells[at:at] = unit
        nb.cells = cells

    def _as_earlier(self, grade_id: str, cell) -> dict | None:
        """The replaced release's version of this cell that the student's copy is, or None."""
        text = history.given_text(cell.source)
        for release in sorted(self._earlier, reverse=True):
            then = self._earlier[release].get(grade_id)
            if then is not None and then["source"] == text:
                return then
        return None

    def _added_since(self, name: str) -> bool:
        """Whether the cell `name` is missing because the notebook was started on a replaced
        release that lacked it: one that lacks it and has every nbgrader cell the notebook has."""
        return any(name not in cells and self._present <= set(cells) for cells in self._earlier.values())

    def _missing_answers(self, gb) -> None:
        """Answer cells added since the release the notebook was started on: its tests can only
        score as unanswered, and the student's feedback says why."""
        record = gb.find_notebook(self.notebook_id, self.assignment_id)
        for cell in record.solution_cells:
            if cell.name not in self._present and self._added_since(cell.name):
                self._findings.append({"kind": "added exercise", "cell": cell.name,
                                       "detail": "an answer cell added to the assignment after the release this "
                                                 "notebook was started on: its tests score as unanswered"})

    def _restored(self, record, source) -> NotebookNode:
        """A deleted locked cell as the gradebook has it, graded as it would have been."""
        grade_cells = {c.name: c for c in record.grade_cells}
        task_cells = {c.name: c for c in record.task_cells}
        if source.name in grade_cells:
            cell = self.missing_cell_transform(source, grade_cells[source.name].max_score)
        elif source.name in task_cells:
            cell = self.missing_cell_transform(source, task_cells[source.name].max_score, is_task=True)
        else:
            cell = self.missing_cell_transform(source, 0)
        # nbgrader builds the cell's metadata as plain dicts: attribute access needs NotebookNodes
        cell = nbformat.from_dict(cell)
        if source.name not in grade_cells and source.name not in task_cells:  # a read-only given cell
            cell.metadata.nbgrader.update(grade=False)
            cell.metadata.nbgrader.pop("points", None)
        # the exact source, so its checksum matches the gradebook's
        cell.source = source.source
        return cell


def _increasing(ranks: list) -> set[int]:
    """The positions of a longest increasing run (not necessarily contiguous) of `ranks`: the
    graded cells taken to be in place, so that as few as possible count as moved (of equally
    long runs, the one that ends first: two swapped cells cannot tell which one moved)."""
    best: list[int] = []
    previous: list[int | None] = []
    for i, r in enumerate(ranks):
        best.append(1)
        previous.append(None)
        for j in range(i):
            if ranks[j] < r and best[j] + 1 > best[i]:
                best[i], previous[i] = best[j] + 1, j
    out: set[int] = set()
    i = max(range(len(ranks)), key=best.__getitem__, default=None)
    while i is not None:
        out.add(i)
        i = previous[i]
    return out
