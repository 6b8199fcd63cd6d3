"""What the bus holds, asked as the operator from a synchronous test (stream and bucket info)."""

from __future__ import annotations

import asyncio

from nats.js.errors import NotFoundError

from kernel.bus import jetstream
from kernel.security import pki
from tests.support.secure import connect_as


async def _streams(url: str, layout: pki.PkiLayout, names: list[str]) -> dict[str, object]:
    nc = await connect_as(url, layout, connect_timeout=10)
    try:
        js = nc.jetstream(timeout=5)
        found = {}
        for name in names:
            try:
                found[name] = await js.stream_info(name)
            except NotFoundError:
                pass
        return found
    finally:
        await nc.close()


def declared_names() -> tuple[list[str], list[str]]:
    """The streams and the KV buckets `provision` declares (a bucket is the stream KV_<bucket>)."""
    streams = [config.name for config in jetstream.stream_configs(duplicate_window=60)]
    return streams, [bucket for bucket, _ttl in jetstream.bucket_layout()]


def stream_infos(url: str, layout: pki.PkiLayout) -> dict[str, object]:
    """Every declared stream and bucket present on the bus, by stream name (KV_<bucket> for a bucket)."""
    streams, buckets = declared_names()
    return asyncio.run(_streams(url, layout, streams + [f"KV_{bucket}" for bucket in buckets]))


def stream_infos_or_none(url: str, layout: pki.PkiLayout) -> dict[str, object] | None:
    try:
        return stream_infos(url, layout)
    except Exception:  # the bus not answering yet
        return None
