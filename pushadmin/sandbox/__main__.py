"""``python -m pushadmin.sandbox [flags]``: the sandbox without Django settings."""

from __future__ import annotations

import argparse
import sys

from pushadmin.sandbox.options import add_arguments, options_from_args
from pushadmin.sandbox.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pushadmin.sandbox", description="Local mPaaS Message Push sandbox."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        options = options_from_args(args)
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    serve(args.host, args.port, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
