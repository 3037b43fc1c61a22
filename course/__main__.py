"""`python -m course validate NOTEBOOK ...`: check a notebook as the grader will (see course.validate)."""
import argparse
import sys
from pathlib import Path

from . import validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="run every test cell a notebook shows; exit 1 if one fails")
    p.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    return validate.main(args.notebooks)


if __name__ == "__main__":
    sys.exit(main())
