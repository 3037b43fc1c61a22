"""JupyterHub for the course: `course hub start` runs `jupyterhub -f hub/jupyterhub_config.py`
with COURSE_HUB_SETTINGS naming the hub's settings (course/instructor/hub/layout.py).

Real Linux accounts and the local process spawner: each user's server runs as that user, from
the role's environment (students: the kit; instructor: this repository), with the role's nbgrader
settings (the shared exchange). Only the course's users may log in; the instructors are the hub's
admins. See docs/hub.md.
"""
import os

from course.instructor.hub.layout import (HubSettings, PROXY, notebook_dir, prepare_runtime_dir,
                                          server_environment, singleuser_command)

c = get_config()  # noqa: F821 (injected by traitlets)
settings = HubSettings.load(os.environ["COURSE_HUB_SETTINGS"])

c.JupyterHub.ip = settings.ip
c.JupyterHub.port = settings.port
c.JupyterHub.hub_ip = settings.ip
c.JupyterHub.hub_port = settings.hub_port
c.ConfigurableHTTPProxy.command = [PROXY]
c.ConfigurableHTTPProxy.api_url = f"http://{settings.ip}:{settings.proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = str(settings.path("hub", "proxy.pid"))
c.JupyterHub.db_url = "sqlite:///" + str(settings.path("hub", "jupyterhub.sqlite"))
c.JupyterHub.cookie_secret_file = str(settings.path("hub", "cookie_secret"))
c.JupyterHub.pid_file = str(settings.path("hub", "hub.pid"))
# the hub stops every server when it stops: no student's kernel outlives the course's hub
c.JupyterHub.cleanup_servers = True

if settings.authenticator == "dummy":
    # tests only, on loopback: one shared password, still only the course's users
    if settings.ip not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit("The dummy authenticator is for tests on loopback only; use pam (or OAuth/LTI).")
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = settings.dummy_password
else:
    c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(settings.instructors) | set(settings.students)
c.Authenticator.admin_users = set(settings.instructors)
c.JupyterHub.services = settings.services
c.JupyterHub.load_roles = [
    {"name": "course-admin", "scopes": ["admin:users", "admin:servers", "tokens", "read:hub"],
     "services": [s["name"] for s in settings.services]},
] if settings.services else []

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120   # a busy 2-core machine starts JupyterLab slowly
c.Spawner.start_timeout = 120
# nothing of the hub's own environment (root's paths, the instructor's Python) reaches a server
c.Spawner.env_keep = ["LANG", "LC_ALL", "TZ"]


def per_role(spawner):
    """Each server runs from its role's environment, opens in its role's folder."""
    user, home = spawner.user.name, os.path.expanduser(f"~{spawner.user.name}")
    prepare_runtime_dir(user)
    spawner.cmd = singleuser_command(settings, user)
    spawner.environment = server_environment(settings, user, home)
    spawner.notebook_dir = str(notebook_dir(settings, user, home))


c.Spawner.pre_spawn_hook = per_role
