"""nbgrader configuration: the repository root is the nbgrader course directory.

    source/<assignment>/       instructors' notebooks with nbgrader markup (the truth)
    release/<assignment>/      student notebooks, generated (`course build`)
    solutions/<assignment>/    answer keys without hidden tests, generated (`course build`)
    submitted/, autograded/, feedback/, gradebook.db   nbgrader's working folders (not committed)

The five assignments are listed in `course/instructor/assignments.py`; `course build` registers them in
the gradebook.
"""
import os
import sys

c = get_config()  # noqa: F821 (injected by traitlets)

HERE = os.path.dirname(os.path.abspath(__file__))

# `nbgrader autograde` / `generate_feedback` typed in a terminal would run the students' code
# unsandboxed, as you, with the hidden tests in the student's own kernel: they run the course's
# `course autograde` / `course feedback` instead (course/instructor/stock_nbgrader.py), or are
# refused when the command line has no faithful translation. COURSE_STOCK_NBGRADER=1 lets stock
# nbgrader run anyway (the tests and the benchmark that compare against it).
# (tested here, not by the course package: without it installed, grading is refused, not run stock)
_argv = getattr(sys, "argv", None) or [""]  # embedded interpreters may have none
_nbgrader = (os.path.basename(_argv[0]) in ("nbgrader", "jupyter-nbgrader")
             or _argv[0].endswith(os.path.join("nbgrader", "__main__.py")))
if (_nbgrader and _argv[1:2] and _argv[1] in ("autograde", "generate_feedback")
        and os.environ.get("COURSE_STOCK_NBGRADER") != "1"):
    try:
        from course.instructor.stock_nbgrader import take_over
    except ImportError:  # never fall back to stock grading
        sys.exit(f"`nbgrader {_argv[1]}` in this course runs the course's own command, and the `course` "
                 "package is not installed here (pip install -e . in the course folder).")
    take_over(_argv, HERE)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "nn-from-scratch"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.solution_directory = "solutions"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")

# Students see the document's `# TODO ...` line (kept above `### BEGIN SOLUTION` in source/),
# then this line.
c.ClearSolutions.code_stub = {"python": "raise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A student's endless loop must not hang grading: every cell gets a wall-time limit, and the
# notebook's outputs are capped so 100 MB of prints cannot fill the gradebook.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 50

# solutions/ is what instructors publish after the deadline: it must not carry hidden tests
# (stock generate_solution keeps them).
c.GenerateSolution.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.Execute",
]

# Feedback goes to students and lives on after the course: show each failed check's message,
# never the hidden tests' code (jupyter/nbgrader#917).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "course.instructor.nbgrader_ext.ShortenTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# `course autograde` (course/instructor/autograde/): nbgrader's autograde with one bubblewrap sandbox per
# submission and these limits per notebook; a limit hit is a reason in the student's feedback
# and in the report, never a crash. Override one for a run: --set CourseAutograde.cell_timeout=60
c.CourseAutograde.workers = 0                        # parallel workers; 0: one per core
c.CourseAutograde.cell_timeout = 120                 # seconds per cell (like Execute.timeout above)
c.CourseAutograde.notebook_timeout = 900             # seconds per notebook
c.CourseAutograde.memory_limit = "2G"                # per notebook (its kernel and what it starts)
c.CourseAutograde.max_processes = 32                 # processes a notebook may run at once
c.CourseAutograde.max_file_size = "200M"             # largest file a notebook may write
c.CourseAutograde.max_output_bytes = "1M"            # output kept per cell; the rest is dropped
c.CourseAutograde.max_notebook_output_bytes = "10M"  # output kept per notebook
c.CourseAutograde.max_written_bytes = "500M"         # files a notebook may write into its folder, in total
# checked on the submitted file before it is parsed; past one, the notebook is ungradable, with the reason
c.CourseAutograde.max_notebook_bytes = "50M"         # size of a submitted notebook
c.CourseAutograde.max_cells = 2000                   # cells in a submitted notebook
c.CourseAutograde.max_cell_bytes = "1M"              # source of one cell
# the hidden tests run in a grader kernel of their own; the student's code reaches them only
# through calls that carry data (README, "Two processes per notebook"). False: one kernel.
c.CourseAutograde.two_process = True
