"""nbgrader settings for `course lab`, both roles (read through JUPYTER_CONFIG_PATH).

The course's own exchange: `course lab --student` releases the assignments into exchange/
(not committed), so a student's Assignments tab lists them and Submit works on this machine.
For a shared server, point Exchange.root at the shared folder (nbgrader's default is
/srv/nbgrader/exchange).
"""
import os

c = get_config()  # noqa: F821 (injected by traitlets)

COURSE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

c.CourseDirectory.course_id = "nn-from-scratch"
c.Exchange.root = os.path.join(COURSE, "exchange")
