"""The `course` command.

    course build [ASSIGNMENT ...]   source/ -> release/, solutions/, example submissions
    course demo  [ASSIGNMENT ...]   build, then grade the examples with `course autograde`; print points
    course validate NOTEBOOK ...    nbgrader's validation; exits 1 when a notebook fails
    course autograde [ASSIGNMENT ...]   grade submitted/ in sandboxes, in parallel, resumably
                                    (--scheduler tls://HOST:PORT --tls DIR: on a Dask cluster)
    course release ASSIGNMENT --corrected
                                    publish a corrected release mid-semester: rebuild it, bring the
                                    gradebook's record to it, say what changed (docs/releases.md)
    course certs DIR [--host H ...] the grading cluster's mutual-TLS certificates
    course student-kit OUT          what students get: release notebooks, the student package,
                                    requirements.txt, README (OUT/ and OUT.zip)
    course lab --student            preview the kit: JupyterLab in a virtual environment made from
                                    the kit alone, with nbgrader's Validate and Assignments
    course lab --instructor         JupyterLab on the course folder with nbgrader's formgrader
    course hub --state DIR --instructor NAME --student NAME ...
                                    the course on a JupyterHub with real Linux accounts (as root;
                                    docs/hub.md)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import build as build_mod
from . import demo as demo_mod
from . import lab as lab_mod
from .assignments import ASSIGNMENTS
from .. import validate as validate_mod


def _timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label} took {time.perf_counter() - start:.1f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in [("build", "regenerate release/, solutions/ and the example submissions"),
                       ("demo", "build, then grade the example submissions with `course autograde`")]:
        p = sub.add_parser(name, help=text)
        p.add_argument("assignments", nargs="*", choices=[[]] + ASSIGNMENTS, metavar="ASSIGNMENT",
                       help="default: every assignment that has a source notebook")
        p.add_argument("--force", action="store_true",
                       help="regenerate even when solutions/ were made from the current source")
        if name == "demo":
            p.add_argument("--workers", type=int, help="parallel workers (default: one per core)")
            p.add_argument("--unsafe-no-sandbox", action="store_true",
                           help="grade the examples without a sandbox when none can be had")
    p = sub.add_parser("validate", help="run nbgrader's Validator; exit 1 if a notebook fails")
    p.add_argument("notebooks", nargs="+", type=Path)
    p = sub.add_parser("autograde", help="grade every submission in submitted/: sandboxed, parallel, resumable")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="default: every assignment that has a source notebook")
    p.add_argument("--workers", type=int, help="parallel workers (default: CourseAutograde.workers, or one per core)")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--regrade", action="store_true", help="grade again what the journal says is graded")
    p.add_argument("--db", help="gradebook URL instead of nbgrader_config.py's, e.g. postgresql://host/db")
    p.add_argument("--set", action="append", default=[], metavar="CLASS.TRAIT=VALUE",
                   help="override nbgrader_config.py, e.g. --set CourseAutograde.cell_timeout=30")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run students' code without a sandbox when none can be had (limits still apply)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on this Dask scheduler's workers, e.g. tls://10.0.0.5:8786 (default: "
                        "CourseAutograde.scheduler; none: local workers); see docs/distributed.md")
    p.add_argument("--tls", metavar="DIR", type=Path,
                   help="the cluster's certificates, made by `course certs DIR` (default: CourseAutograde.tls_dir)")
    p = sub.add_parser("feedback", help="write graded submissions' feedback again, with the gradebook's "
                                        "current grades (after grading by hand)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment graded")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p = sub.add_parser("release", help="publish a corrected release of an assignment that has submissions")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--corrected", action="store_true", required=True,
                   help="the assignment was released (and maybe graded) already: rebuild release/ and update the "
                        "gradebook's record of it (cells added, removed, points changed); grades stand until regraded")
    p = sub.add_parser("certs", help="make the grading cluster's mutual-TLS certificates in DIR")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--host", action="append", default=[],
                   help="a name or address the scheduler and workers are reached at (repeatable; loopback is in)")
    p = sub.add_parser("student-kit", help="build the student kit from release/: OUT/ and OUT.zip")
    p.add_argument("out", type=Path, metavar="OUT")
    p.add_argument("--no-zip", action="store_true", help="the folder only")
    p = sub.add_parser("lab", help="open the course in JupyterLab, as a student or an instructor")
    role = p.add_mutually_exclusive_group(required=True)
    role.add_argument("--student", dest="role", action="store_const", const="student",
                      help="preview the student kit (built into a scratch folder, in a virtual "
                           "environment made from the kit alone): the notebooks, Validate, Assignments")
    role.add_argument("--instructor", dest="role", action="store_const", const="instructor",
                      help="JupyterLab on the course folder with the formgrader")
    p.add_argument("--port", type=int, default=None, help="default: a free port")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: loopback)")
    p = sub.add_parser("hub", help="run the course on a JupyterHub with Linux accounts (root; docs/hub.md)")
    p.add_argument("--state", type=Path, default=Path("/srv/nn-course-hub"),
                   help="the hub's folder: its database, the exchange, the roles' settings (default: %(default)s)")
    p.add_argument("--instructor", action="append", required=True, help="an instructor's account (repeatable)")
    p.add_argument("--student", action="append", default=[], help="a student's account (repeatable)")
    p.add_argument("--homes", type=Path, help="where new accounts' homes go (default: useradd's)")
    p.add_argument("--envs", type=Path, help="where the environments are built (default: /opt/nn-course-hub/envs)")
    p.add_argument("--ip", default="127.0.0.1", help="the proxy's address (default: loopback; put TLS in front)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--setup-only", action="store_true", help="prepare everything, do not start the hub")
    args = parser.parse_args(argv)
    if args.command == "validate" and build_mod.find_course_root() is None:
        return validate_mod.main(args.notebooks)  # a notebook anywhere, as a student validates it
    root = build_mod.course_root()
    assignments = getattr(args, "assignments", None) or None

    if args.command == "build":
        _timed("build", build_mod.build, root, assignments, force=args.force)
    elif args.command == "demo":
        from .autograde.run import Refused

        _timed("build", build_mod.build, root, assignments, force=args.force)
        try:
            _timed("autograde", demo_mod.run, root, assignments, workers=args.workers,
                   unsafe_no_sandbox=args.unsafe_no_sandbox)
        except Refused as refused:
            print(refused, file=sys.stderr)
            return 2
    elif args.command == "autograde":
        from .autograde import run as autograde

        missing = [a for a in assignments or [] if not build_mod.source_notebook(root, a).is_file()]
        if missing:
            parser.error(f"no source notebook for {', '.join(missing)} (looked in source/<assignment>/)")
        overrides = autograde.parse_overrides(args.set)
        if args.db:
            overrides.setdefault("CourseDirectory", {})["db_url"] = args.db
        try:
            pool = _cluster_pool(root, overrides, args.scheduler, args.tls)
            result = autograde.run(root, assignments, workers=args.workers, students=args.student,
                                   regrade=args.regrade, unsafe_no_sandbox=args.unsafe_no_sandbox,
                                   overrides=overrides, pool=pool)
        except autograde.Refused as refused:
            print(refused, file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        return 1 if result.failed else 0
    elif args.command == "validate":
        return validate_mod.main(args.notebooks, root, env=build_mod.kernel_env(root))
    elif args.command == "feedback":
        from . import feedback
        from .autograde.run import Refused

        try:
            feedback.regenerate(root, assignments, args.student)
        except Refused as refused:
            print(refused, file=sys.stderr)
            return 2
    elif args.command == "release":
        from . import release as release_mod

        if not build_mod.source_notebook(root, args.assignment).is_file():
            parser.error(f"no source notebook for {args.assignment} (looked in source/<assignment>/)")
        _timed("release", release_mod.publish_corrected, root, args.assignment)
    elif args.command == "certs":
        from .autograde import certs

        for path in certs.make(args.dir, args.host):
            print(path)
        print(f"Copy {certs.CA}, {certs.NODE} and {certs.NODE_KEY} to every grading machine; keep {certs.CA_KEY} here.")
    elif args.command == "student-kit":
        from . import kit

        kit.build(root, args.out, zip_it=not args.no_zip)
    elif args.command == "lab":
        return lab_mod.run(root, args.role, port=args.port, ip=args.ip)
    elif args.command == "hub":
        from .hub import server as hub_server

        return hub_server.run(root, args)
    return 0


def _cluster_pool(root: Path, overrides: dict, address: str | None, tls: Path | None):
    """The Dask pool when a scheduler is given (flag or nbgrader_config.py), else None (local workers)."""
    from .autograde.config import CourseAutograde
    from .autograde.course_root import course_config
    from .autograde.run import Refused

    settings = CourseAutograde(config=course_config(root, overrides))
    address = address or settings.scheduler
    if not address:
        return None
    from .autograde import certs, cluster

    tls = tls or (Path(settings.tls_dir) if settings.tls_dir else None)
    if tls is None and address.startswith("tls://"):
        raise Refused(f"{address} needs the cluster's certificates: --tls DIR (made by `course certs DIR`).")
    if tls is None:
        print(f"WARNING: {address} is not TLS: anyone who reaches it can run code on the workers "
              "(see docs/distributed.md, `course certs`).", file=sys.stderr)
    if tls is not None and not tls.is_absolute():
        tls = root / tls
    return cluster.pool(address, certs.security(tls) if tls is not None else None)


if __name__ == "__main__":
    sys.exit(main())
