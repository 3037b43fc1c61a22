"""nbgrader settings for `course lab --student` (read through JUPYTER_CONFIG_PATH).

release/ is the student's workspace: the Assignments tab lists the assignments found there as
downloaded (with Submit), and Fetch would put a released assignment there. Without this setting
nbgrader uses the server's working directory, outside what the student's JupyterLab shows.
"""
import os

c = get_config()  # noqa: F821 (injected by traitlets)

COURSE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

c.Exchange.assignment_dir = os.path.join(COURSE, "release")
