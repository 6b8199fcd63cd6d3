"""Cluster detection sees every case on the bus: the digests adapters send each other (jjj.digest.*) count,
a case seen several times (its digest to each other member, its referral) counts once, and a restarted
gateway sees the same cases again (its consumers replay the detection window)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kernel import jurisdictions
from kernel.domain.emergency import detect_clusters
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c
from tests.e2e.test_emergency_linkage import Clock
from tests.support.bus import Bus
from tests.support.relay import eventually


def digest(case_id: str, origin: int, admin_code: str) -> e.CaseDigest:
    found = e.CaseDigest(case_id=case_id, origin=origin, admin_code=admin_code, category_code="0601")
    found.received_at.FromDatetime(datetime.now(UTC))
    return found


async def send_digests(federation, name: str, admin_code: str, count: int) -> None:
    """What Sharing.register sends for each case it refers: a digest to every other member, adapter to adapter."""
    sharing = federation.running[name].relay.sharing
    origin = jurisdictions.by_name(name)
    for number in range(count):
        share = e.InformationShare(topic=e.SHARE_TOPIC_CASE_DIGEST, classification=e.CLASSIFICATION_INTERNAL,
                                   title="case digest",
                                   digests=[digest(f"jjj:{origin.token.upper()}:W{number}", origin.enum, admin_code)])
        await sharing.publish(share, sharing.audience([]), id_base=f"test/{name}/{number}/digest", internal=True)


async def test_adapter_to_adapter_digests_make_a_cluster_counted_once_per_case_and_after_a_restart(federation):
    await federation.start("beijing", "tianjin", "hebei")
    await federation.start_gateway(clock=Clock())
    await send_digests(federation, "beijing", "110112", 3)  # Tongzhou
    await send_digests(federation, "hebei", "131082", 3)  # Sanhe
    feed = federation.gateway.emergency.sighted
    await eventually(lambda: _is(len(feed.sightings) == 6))  # each digest went to two members: one case each
    # On the gateway's feed: one consumer per stream brings each message once (sightings had their own).
    bus = await Bus.connect(federation.settings.nats_url)
    try:
        for stream in ("JJJ_REFERRALS", "JJJ_SHARES"):
            names = [info.name async for info in _consumers(bus, stream)]
            assert not [name for name in names if name.startswith("sightings")] and len(
                [name for name in names if name.startswith("gateway")]) == 1, names
    finally:
        await bus.close()
    await federation.gateway.stop(grace=0.1)
    clock = Clock()
    await federation.start_gateway(clock=clock)
    watch = federation.gateway.emergency
    await eventually(lambda: _is(len(watch.sighted.sightings) == 6))  # replayed, not remembered
    # (the gateway's own watch loop may have warned already: the detection itself is asked here)
    (cluster,) = detect_clusters(watch.sighted.current(clock.now), clock.now, watch.rules)
    assert (cluster.area, cluster.category_code) == ("tongzhou_sanhe", "0601")
    assert cluster.counts == {c.JURISDICTION_BEIJING: 3, c.JURISDICTION_HEBEI: 3}


async def _consumers(bus, stream: str):
    for info in await bus.js.consumers_info(stream):
        yield info


async def _is(value: bool):
    return value


def test_a_referred_case_and_its_digests_are_one_sighting():
    from gateway.sightings import SightingFeed

    case = c.Case(case_id="jjj:BJ:1", origin=c.JURISDICTION_BEIJING, location=c.Location(admin_code="110112"),
                  category=c.Category(code="0601"))
    case.received_at.FromDatetime(datetime.now(UTC))
    referral = e.Envelope(sender=c.JURISDICTION_BEIJING, referral=e.Referral(case=case))
    shared = e.Envelope(sender=c.JURISDICTION_BEIJING, information_share=e.InformationShare(
        digests=[digest("jjj:BJ:1", c.JURISDICTION_BEIJING, "110112")]))
    feed = SightingFeed(None, horizon=timedelta(days=2))
    for envelope in (referral, shared, shared):
        feed.add(envelope)
    assert list(feed.sightings) == ["jjj:BJ:1"]
