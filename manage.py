#!/usr/bin/env python
"""Django's command-line entry point for pushadmin."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
    from django.core.management import execute_from_command_line

    from pushadmin.config import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as error:
        sys.stderr.write(f"pushadmin cannot start: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
