"""`python manage.py load_demo`: create the demo workspace and users once, print the logins."""

from __future__ import annotations

from typing import Any

from pushadmin.console.database_ready import DatabaseCommand
from pushadmin.console.demo import credentials_file, load_demo


class Command(DatabaseCommand):
    help = "Create the demo workspace, template, audience and users (once) and print their passwords."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo()
        self.stdout.write("Demo data " + ("created." if result.created else "already present."))
        if result.passwords:
            self.stdout.write(f"Demo logins (also in {credentials_file()}):")
            for name, password in result.passwords.items():
                self.stdout.write(f"  {name:<9} {password}")
