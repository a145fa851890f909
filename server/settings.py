"""Where the server keeps its data and how it is reached, from flags and environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from server.store.db import POOL_SIZE, sqlite_url

DEFAULT_DATA_DIR = Path("antrean-data")
STORE_PREPARED = "ANTREAN_STORE_PREPARED"  # set by `serve --workers` for its workers


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None  # None: the embedded SQLite file in data_dir
    config_path: Path | None = None  # a hall's TOML file, applied at start-up
    demo: bool = False  # the sample hall, open around the clock
    redis_url: str | None = None
    redis_channel: str = "antrean:events"  # halls sharing one Redis but not one database differ
    event_log_keep: int = 100_000  # events kept per site for clients resuming with since=SEQ
    heartbeat_seconds: float = 15.0  # WebSocket heartbeat both ways
    ws_send_buffer_bytes: int = 4 << 20  # events held for a slow socket before it is dropped
    maintenance_seconds: float = 5.0  # how often reservations and past days are expired
    # False in the workers of `serve --workers N`: their parent migrated the store and applied
    # the hall once for all of them; each worker only checks the schema is current.
    prepare_store: bool = True
    metrics_dir: Path | None = None  # where the workers of one address pool their metrics
    database_pool: int = POOL_SIZE  # PostgreSQL connections each process keeps
    public_base_url: str | None = None  # the server's own address, for halls that name none
    upstream_url: str | None = None  # a site server: its centre (docs/region.md)
    site_token: str | None = None  # the site's token at its centre
    uplink_seconds: float = 5.0  # how often a site with nothing to send tells its centre it is there
    uplink_batch: int = 2000  # changes per batch sent to the centre
    region_live_seconds: float = 30.0  # a centre shows a hall's queue as live if heard this recently
    notify_lease_seconds: float = 10.0  # a notification sender that dies is replaced after this
    # The key of the NIK's keyed hash (docs/online.md): the same on every server of a hall.
    # None: a key made once and kept in data_dir/nik.key.
    nik_key: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Environment first (ANTREAN_*), then explicit overrides that are not None."""
        values: dict[str, object] = {
            "data_dir": Path(os.environ.get("ANTREAN_DATA_DIR", str(DEFAULT_DATA_DIR))),
            "database_url": os.environ.get("ANTREAN_DATABASE_URL") or None,
            "config_path": Path(p) if (p := os.environ.get("ANTREAN_CONFIG")) else None,
            "redis_url": os.environ.get("ANTREAN_REDIS_URL") or None,
            "redis_channel": os.environ.get("ANTREAN_REDIS_CHANNEL") or None,
            "event_log_keep": int(v) if (v := os.environ.get("ANTREAN_EVENT_LOG_KEEP")) else None,
            "heartbeat_seconds": (float(v) if (v := os.environ.get("ANTREAN_HEARTBEAT_SECONDS"))
                                  else None),
            "demo": True if os.environ.get("ANTREAN_DEMO") == "1" else None,
            "prepare_store": False if os.environ.get(STORE_PREPARED) == "1" else None,
            "metrics_dir": Path(p) if (p := os.environ.get("ANTREAN_METRICS_DIR")) else None,
            "database_pool": int(v) if (v := os.environ.get("ANTREAN_DATABASE_POOL")) else None,
            # The workers of `serve --workers` learn their parent's own address here.
            "public_base_url": os.environ.get("ANTREAN_PUBLIC_BASE_URL") or None,
            "upstream_url": os.environ.get("ANTREAN_UPSTREAM") or None,
            "site_token": os.environ.get("ANTREAN_SITE_TOKEN") or None,
            "uplink_seconds": (float(v) if (v := os.environ.get("ANTREAN_UPLINK_SECONDS"))
                               else None),
            "uplink_batch": int(v) if (v := os.environ.get("ANTREAN_UPLINK_BATCH")) else None,
            "region_live_seconds": (float(v) if (v := os.environ.get("ANTREAN_REGION_LIVE_SECONDS"))
                                    else None),
            "notify_lease_seconds": (float(v) if (v := os.environ.get(
                "ANTREAN_NOTIFY_LEASE_SECONDS")) else None),
            "ws_send_buffer_bytes": (int(v) if (v := os.environ.get(
                "ANTREAN_WS_SEND_BUFFER_BYTES")) else None),
            "nik_key": os.environ.get("ANTREAN_NIK_KEY") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values = {k: v for k, v in values.items() if v is not None}  # unset: the default
        return cls(**values)  # type: ignore[arg-type]

    def nik_hash_key(self) -> bytes:
        """The NIK hash's key: the configured one, or one made at the first booking and kept
        beside the data (readable by this user only)."""
        if self.nik_key:
            return self.nik_key.encode()
        path = self.data_dir / "nik.key"
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            key = secrets.token_hex(32).encode()
            try:
                with open(path, "xb") as handle:  # two workers at once: the first one wins
                    os.fchmod(handle.fileno(), 0o600)
                    handle.write(key)
            except FileExistsError:
                return path.read_bytes().strip()
            return key

    @property
    def effective_database_url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir)
