"""Reading settings from environment variables, with errors that name the variable.

Every variable pushadmin reads is declared here so the README table, the start-up checks
and the settings module agree. A wrong value stops start-up with `ConfigError`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from cryptography.fernet import Fernet

from pushadmin.mpaas.endpoints import DEFAULT_ALLOWED_HOSTS, is_host_pattern

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = BASE_DIR / "var"

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
KNOWN_DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}
KNOWN_BROKER_SCHEMES = {"filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp", "memory"}
ENVIRONMENTS = {"development", "production"}
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Env:
    values: os._Environ[str] | dict[str, str]

    def text(self, name: str, default: str = "") -> str:
        return self.values.get(name, default).strip()

    def flag(self, name: str, default: bool) -> bool:
        raw = self.values.get(name)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigError(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")

    def integer(self, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.values.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            number = int(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if number < minimum or (maximum is not None and number > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise ConfigError(f"{name} must be at least {minimum}{upper}, got {number}")
        return number

    def csv(self, name: str, default: str) -> list[str]:
        return [part.strip() for part in self.text(name, default).split(",") if part.strip()]


def environment_name(env: Env) -> str:
    name = env.text("PUSHADMIN_ENV", "development").lower()
    if name not in ENVIRONMENTS:
        raise ConfigError(f"PUSHADMIN_ENV must be one of {sorted(ENVIRONMENTS)}, got {name!r}")
    return name


def _make_private(path: Path, mode: int) -> None:
    """Owner only, also for what an older version created with the process's umask."""
    with contextlib.suppress(PermissionError):  # not ours (a mounted volume): its owner decides
        path.chmod(mode)


def var_dir(env: Env) -> Path:
    """The folder of the embedded defaults' keys, database, queue and uploads: its owner's only."""
    path = Path(env.text("PUSHADMIN_VAR_DIR", str(DEFAULT_VAR_DIR)))
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    _make_private(path, PRIVATE_DIR_MODE)
    return path


def _read_or_create(path: Path, make: Callable[[], str]) -> str:
    if not path.exists():
        # Created 0600 in one step: no moment in which another account could open it.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE), "w") as file:
            file.write(make())
    _make_private(path, PRIVATE_FILE_MODE)
    return path.read_text().strip()


def private_sqlite_file(name: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask).

    SQLite gives the -wal and -shm files it makes later the database file's own permissions.
    """
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if part.exists():
            _make_private(part, PRIVATE_FILE_MODE)


def secret_key(env: Env, production: bool, folder: Path) -> str:
    value = env.text("SECRET_KEY")
    if value:
        if production and (len(value) < 50 or len(set(value)) < 5):
            raise ConfigError("SECRET_KEY must be at least 50 characters with 5 distinct ones in production")
        return value
    if production:
        raise ConfigError("SECRET_KEY must be set when PUSHADMIN_ENV=production")
    return _read_or_create(folder / "secret_key", lambda: secrets.token_urlsafe(64))


def encryption_keys(env: Env, production: bool, folder: Path) -> list[str]:
    raw = env.text("PUSHADMIN_ENCRYPTION_KEYS")
    if not raw:
        if production:
            raise ConfigError("PUSHADMIN_ENCRYPTION_KEYS must be set when PUSHADMIN_ENV=production")
        raw = _read_or_create(folder / "encryption_keys", lambda: Fernet.generate_key().decode())
    keys = [part.strip() for part in raw.split(",") if part.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(
                f"PUSHADMIN_ENCRYPTION_KEYS key #{position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from None
    return keys


def database_url(env: Env, folder: Path) -> str:
    url = env.text("DATABASE_URL") or f"sqlite:///{folder / 'pushadmin.sqlite3'}"
    scheme = urlparse(url).scheme.split("+")[0]
    if scheme not in KNOWN_DATABASE_SCHEMES:
        raise ConfigError(f"DATABASE_URL must start with sqlite:// or postgres://, got scheme {scheme!r}")
    if scheme != "sqlite" and not urlparse(url).hostname and "host=" not in url:
        raise ConfigError("DATABASE_URL must name a host, e.g. postgres://postgres@127.0.0.1:5432/pushadmin")
    return url


def caches(env: Env, folder: Path) -> dict[str, dict[str, object]]:
    """Shared by every web process and worker: files under the var folder, or Redis when named."""
    url = env.text("PUSHADMIN_CACHE_URL")
    if not url:
        files = "django.core.cache.backends.filebased.FileBasedCache"
        return {"default": {"BACKEND": files, "LOCATION": str(folder / "cache")}}
    if urlparse(url).scheme not in ("redis", "rediss"):
        raise ConfigError(f"PUSHADMIN_CACHE_URL must start with redis:// or rediss://, got {urlparse(url).scheme!r}")
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


def broker_url(env: Env) -> str:
    url = env.text("CELERY_BROKER_URL", "filesystem://")
    scheme = urlparse(url).scheme
    if scheme not in KNOWN_BROKER_SCHEMES:
        raise ConfigError(f"CELERY_BROKER_URL must be filesystem://, redis:// or amqp://, got scheme {scheme!r}")
    return url


def allowed_endpoint_hosts(env: Env) -> tuple[str, ...]:
    patterns = env.csv("PUSHADMIN_ALLOWED_ENDPOINT_HOSTS", ",".join(DEFAULT_ALLOWED_HOSTS))
    for pattern in patterns:
        if not is_host_pattern(pattern):
            raise ConfigError(
                "PUSHADMIN_ALLOWED_ENDPOINT_HOSTS must list host names whose labels may be * "
                f"(e.g. mpaas.*.aliyuncs.com), got {pattern!r}"
            )
    if not patterns:
        raise ConfigError("PUSHADMIN_ALLOWED_ENDPOINT_HOSTS must list at least one host pattern")
    return tuple(pattern.lower() for pattern in patterns)


# Backends that write each message, links and their tokens included, where operators read.
LOGGING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


def email_backend(env: Env, production: bool) -> str:
    """Development prints e-mail to the console; production must really send it (SMTP or another backend)."""
    backend = env.text("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    if production and backend in LOGGING_EMAIL_BACKENDS:
        raise ConfigError(
            f"EMAIL_BACKEND must not be {backend} when PUSHADMIN_ENV=production: it writes password-reset and "
            "invitation links, with their tokens, into the log; set EMAIL_BACKEND="
            "django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST"
        )
    return backend


def metrics_dir(env: Env, folder: Path) -> Path:
    """Where every web process and worker keeps its Prometheus samples (multiprocess mode).

    prometheus-client reads PROMETHEUS_MULTIPROC_DIR when it is first imported, so it is set here,
    with the settings, before any module imports it; child processes inherit it.
    """
    path = Path(env.text("PROMETHEUS_MULTIPROC_DIR") or str(folder / "metrics"))
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def metrics_token(env: Env) -> str:
    """The bearer token `/metrics` asks for; empty turns the endpoint off (404)."""
    token = env.text("PUSHADMIN_METRICS_TOKEN")
    if token and len(token) < 16:
        raise ConfigError("PUSHADMIN_METRICS_TOKEN must be at least 16 characters (or empty to turn /metrics off)")
    return token


def log_format(env: Env) -> str:
    name = env.text("LOG_FORMAT", "plain").lower()
    if name not in ("plain", "json"):
        raise ConfigError(f"LOG_FORMAT must be plain or json, got {name!r}")
    return name
