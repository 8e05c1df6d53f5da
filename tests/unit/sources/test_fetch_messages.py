"""What the fetcher sends to the MentionQueue, and what its errors say."""

from __future__ import annotations

import json

import httpx
import pytest
from harken.models import Item
from harken.service.fetching import SQS_MAX_BATCH_BYTES, _batches, item_message
from harken.sources import FetchJob
from harken.sources.base import SourceError
from harken.sources.http import Response


def test_long_non_latin_items_fit_sqs_batches() -> None:
    """ensure_ascii made each Japanese character 6 bytes, and ten 20,000-character items one
    1.2 MB batch: BatchRequestTooLong at every attempt, the cursor never moved."""
    job = FetchJob(
        watch_id="w_1", tenant_id="t_1", source={"type": "rss", "url": "https://e.example/f"}, terms=[]
    )
    items = [
        Item(source="rss", url=f"https://e.example/{i}", text="アクメクラウド" * 2800) for i in range(10)
    ]
    bodies = [item_message(job, item) for item in items]
    assert all(len(b.encode()) < 70_000 for b in bodies)  # 3 bytes a character, not 6
    assert json.loads(bodies[0])["item"]["text"].startswith("アクメクラウド")
    batches = list(_batches(bodies))
    assert sum(len(b) for b in batches) == 10
    assert all(len(b) <= 10 and sum(len(x.encode()) for x in b) <= SQS_MAX_BATCH_BYTES for b in batches)


def test_an_api_key_in_the_url_stays_out_of_error_messages() -> None:
    response = Response(
        status=200,
        headers=httpx.Headers({}),
        body=b"<html>quota</html>",
        url="https://www.googleapis.com/youtube/v3/search?q=acme&key=AIzaSECRET",
    )
    with pytest.raises(SourceError) as err:
        response.json()
    assert "AIzaSECRET" not in str(err.value) and "googleapis.com/youtube/v3/search" in str(err.value)
