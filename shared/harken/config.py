"""Settings per function, validated once per container from the environment (the template sets
them in AWS; the local stack sets the same names)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    watches_table: str = "WatchesTable"
    mentions_table: str = "MentionsTable"
    state_table: str = "StateTable"
    fetch_queue_url: str = ""
    mention_queue_url: str = ""
    delivery_queue_url: str = ""
    sender_email: str = "alerts@harken.local"
    reply_to_email: str = ""
    ses_configuration_set: str = ""
    source_secret_arn: str = ""
    webhook_secret_prefix: str = ""
    sentiment_backend: str = "lexicon"
    api_url: str = ""
    allow_private_urls: bool = False
    cursor_secret: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        for name in cls.model_fields:
            key = "HARKEN_" + name.upper()
            if key in env:
                values[name] = env[key]
        values["allow_private_urls"] = env.get("HARKEN_ALLOW_PRIVATE_URLS", "") in ("1", "true", "yes")
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The container's settings (read once; tests build Settings directly)."""
    return Settings.from_env()
