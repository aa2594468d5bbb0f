"""The pseudonymisation key: the secret behind every keyed hash of a personal value.

Pseudonyms of e-mails, phones and card numbers in the marts (dbt macro `pseudonymize`) and the erasure
requests (omni/erasure.py) are HMAC-SHA256 with this key. Without it nobody can test a guessed e-mail
against a pseudonym, so the key is never written where the build writes:

- dbt never sees it: the macro calls the SQL function `omni_pseudonym`, which the dbt-duckdb plugin
  `omni.dbt_plugin` registers on dbt's DuckDB connection. The key is read here, in Python, when dbt
  connects; it is not a dbt var, not an `env_var()` of the project or profile, so it is in no compiled
  SQL, manifest, partial-parse cache, run_results or dbt.log, and not in Dagster's run storage.
- Where it comes from, in this order:
  1. the environment variable OMNI_PSEUDONYMISATION_KEY (a secret manager or the deployment's
     environment puts it there), at least MIN_KEY_LENGTH characters;
  2. otherwise, except in production, the installation's own key: `<data-dir>/secrets/pseudonymisation.key`,
     generated (32 random bytes, hex) the first time it is needed, with permissions 0600 in a 0700
     folder, and reused from then on. Two installations never share a key. `data/` is git-ignored.
- In production (OMNI_ENV=production) the environment variable is required: without it every command
  that needs the key fails and says what to set. A generated key that nobody backs up is a key that
  is lost with the machine, and with it every pseudonym and every remembered erasure request.

Rotating the key (a new OMNI_PSEUDONYMISATION_KEY, then a build) changes every pseudonym; erasure
requests record which key made them (`key_id`) and are refused under another one (docs/governance.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

KEY_ENV = "OMNI_PSEUDONYMISATION_KEY"
ENVIRONMENT_ENV = "OMNI_ENV"
PRODUCTION = "production"
KEY_FILE = Path("secrets") / "pseudonymisation.key"
MIN_KEY_LENGTH = 32
# keys that were published with the code once: never accepted
PUBLIC_KEYS = frozenset({"omni-development-key"})


class PseudonymisationKeyError(RuntimeError):
    """The key is missing (production), too weak, or its file is unsafe."""


def key_file(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / KEY_FILE


def in_production() -> bool:
    return os.environ.get(ENVIRONMENT_ENV, "").strip().lower() == PRODUCTION


def load_key(data_dir: str | os.PathLike) -> bytes:
    """The key in force for the installation at `data_dir` (see the module docstring)."""
    configured = os.environ.get(KEY_ENV)
    if configured is not None and configured.strip():
        value = configured.strip()
        if value in PUBLIC_KEYS:
            raise PseudonymisationKeyError(
                f"{KEY_ENV} is set to a key published with the code: set a secret of your own "
                f"(for example `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        if len(value) < MIN_KEY_LENGTH:
            raise PseudonymisationKeyError(
                f"{KEY_ENV} has {len(value)} characters, fewer than {MIN_KEY_LENGTH}: set a longer secret "
                f"(for example `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        return value.encode()
    if in_production():
        raise PseudonymisationKeyError(
            f"{ENVIRONMENT_ENV}={PRODUCTION} and {KEY_ENV} is not set: production needs the pseudonymisation "
            f"key from the environment (a secret of at least {MIN_KEY_LENGTH} characters, kept in the "
            f"deployment's secret store); no key is generated in production"
        )
    return _installation_key(key_file(data_dir))


def _installation_key(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PseudonymisationKeyError(
            f"{path} is readable by others (mode {mode:o}): `chmod 600 {path}`, then consider the key "
            f"exposed and rotate it (docs/governance.md)"
        )
    value = path.read_text().strip()
    if len(value) < MIN_KEY_LENGTH:
        raise PseudonymisationKeyError(
            f"{path} holds {len(value)} characters, fewer than {MIN_KEY_LENGTH}: remove it to have a new key "
            f"generated (every pseudonym changes at the next build) or set {KEY_ENV}"
        )
    return value.encode()


def pseudonym(key: bytes, value: str) -> str:
    """HMAC-SHA256 of a value under the key, as 64 lower-case hex characters."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short name of the key (not the key, and no pseudonym of any value): tells which key made a
    stored hash."""
    return hmac.new(key, b"omni key id", hashlib.sha256).hexdigest()[:16]
