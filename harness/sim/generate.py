"""Seeded, realistic cases a simulated member system registers: jjj.case.v1.Case values.

Pure: a seed, a run tag and a clock reading in, the same cases out. Rendering a case in
its origin's native format is the codec's job, done where the layer rule allows it
(cli/sim.py, which may import adapters); harness never imports adapters.

Every case is marked simulated: its title starts with SIMULATED_MARK, and its native id
carries the digit 9 where the real systems' sequence numbers start (BJ..9..., TJ-..-9...,
HB..9...), so a simulated case can be told from a real one in every format.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kernel import jurisdictions
from kernel.tables import read_yaml
from jjj.case.v1 import case_pb2

SIMULATED_MARK = "【模拟】"
PLACES_FILE = Path(__file__).with_name("places.yaml")
BEIJING_TIME = timezone(timedelta(hours=8))

BAD_PHONE = "bad_phone"  # a phone number one digit short: the adapter flags it (quality flag)
MISSING_FIELD = "missing_field"  # a required native field left out: the adapter rejects the document
DEFECTS = (BAD_PHONE, MISSING_FIELD)

_HOTLINE_CHANNELS = (case_pb2.CHANNEL_PHONE, case_pb2.CHANNEL_PHONE, case_pb2.CHANNEL_WEB, case_pb2.CHANNEL_WECHAT,
                     case_pb2.CHANNEL_APP)
_PETITION_FORMS = {
    case_pb2.CHANNEL_LETTER: case_pb2.PETITION_FORM_LETTER,
    case_pb2.CHANNEL_VISIT: case_pb2.PETITION_FORM_VISIT,
    case_pb2.CHANNEL_WEB: case_pb2.PETITION_FORM_ONLINE,
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    prefix: str
    lat: float
    lng: float
    border: bool
    streets: tuple[str, ...]

    @property
    def jurisdiction(self) -> str:
        member = jurisdictions.competent_for(self.code)
        assert member is not None, f"{self.code} is in no member jurisdiction"
        return member.name


@dataclass(frozen=True)
class Places:
    areas: tuple[Area, ...]
    surnames: tuple[str, ...]
    given_names: tuple[str, ...]
    requests: tuple[dict, ...]

    def areas_in(self, jurisdiction: str, *, border: bool | None = None) -> list[Area]:
        return [a for a in self.areas if a.jurisdiction == jurisdiction and (border is None or a.border == border)]


@functools.cache
def load_places(path: Path = PLACES_FILE) -> Places:
    data = read_yaml(path)
    return Places(
        areas=tuple(Area(**{**entry, "streets": tuple(entry["streets"])}) for entry in data["areas"]),
        surnames=tuple(data["surnames"]),
        given_names=tuple(data["given_names"]),
        requests=tuple(data["requests"]),
    )


@dataclass(frozen=True)
class Mix:
    """What share of generated cases are what (probabilities 0..1)."""

    # A case in its own jurisdiction stays in the member's own system: the adapter refuses to refer it
    # ("cannot refer a case to itself"), so the simulation sends cross-border cases only by default.
    cross_border: float = 1.0
    petition: float = 0.2
    anonymous: float = 0.1
    defect: float = 0.1


@dataclass
class GeneratedCase:
    case: case_pb2.Case
    origin: str  # the jurisdiction whose system registers it
    destination: str  # the jurisdiction competent by its location
    defect: str = ""  # one of DEFECTS, or "" for a clean case

    @property
    def cross_border(self) -> bool:
        return self.origin != self.destination

    @property
    def expect_rejection(self) -> bool:
        return self.defect == MISSING_FIELD


@dataclass
class Generator:
    """Cases of one run: the same seed and run tag give the same cases."""

    seed: int
    run_tag: int = 0  # 0..99, part of every native id, so two runs do not collide
    first_sequence: int = 0  # where this run's numbering starts (spreads many short runs over the id space)
    mix: Mix = field(default_factory=Mix)
    places: Places = field(default_factory=load_places)
    # An open-ended run's numbering (harness.sim.numbering.blocks): called for the first number of
    # each next block of `block_size` once the current one is used up; None: first_sequence onwards.
    next_block: Callable[[], int] | None = None
    block_size: int = 1000

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._sequence = self.first_sequence
        self._block_left = 0 if self.next_block is not None else -1

    def _next_sequence(self) -> int:
        if self._block_left == 0:
            self._sequence = self.next_block()
            self._block_left = self.block_size
        if self._block_left > 0:
            self._block_left -= 1
        self._sequence += 1
        return self._sequence

    def cases(self, origin: str, count: int, *, now: datetime) -> list[GeneratedCase]:
        return [self.case(origin, now=now) for _ in range(count)]

    def case(self, origin: str, *, now: datetime, destination: str | None = None, kind: int | None = None,
             urgent: bool | None = None, defect: str | None = None) -> GeneratedCase:
        """The next case; `destination`, `kind`, `urgent` and `defect` fix what is otherwise drawn."""
        rng = self._rng
        self._next_sequence()
        cross_border = rng.random() < self.mix.cross_border
        if destination is not None:
            area = rng.choice([a for a in self.places.areas if a.jurisdiction == destination
                               and (a.border or destination == origin)])
        else:
            area = self._area(origin, cross_border=cross_border)
        petition = rng.random() < self.mix.petition
        if kind is not None:
            petition = kind == case_pb2.CASE_KIND_PETITION
        anonymous = (not petition) and rng.random() < self.mix.anonymous
        drawn_defect = rng.choice(DEFECTS) if rng.random() < self.mix.defect else ""
        defect = drawn_defect if defect is None else defect
        drawn_urgent = rng.random() < 0.1
        urgent = drawn_urgent if urgent is None else urgent
        if anonymous and defect == BAD_PHONE:
            defect = ""
        request = rng.choice(self.places.requests)
        received_at = now - timedelta(minutes=rng.randint(1, 90))
        case = case_pb2.Case(
            origin=jurisdictions.by_name(origin).enum,
            kind=case_pb2.CASE_KIND_PETITION if petition else case_pb2.CASE_KIND_HOTLINE_REQUEST,
            request_type=case_pb2.RequestType.Value(request["type"]),
            title=SIMULATED_MARK + request["title"].format(place=area.name),
            content=request["content"].format(place=area.name),
            urgency=case_pb2.URGENCY_URGENT if urgent else case_pb2.URGENCY_NORMAL,
            status=case_pb2.STATUS_REGISTERED,
        )
        case.native_id = native_id(origin, area, received_at, self.run_tag, self._sequence)
        case.case_id = jurisdictions.case_id_for(jurisdictions.by_name(origin), case.native_id)
        case.received_at.FromDatetime(received_at.astimezone(timezone.utc))
        case.category.code = request["category"]
        self._location(case.location, area)
        if petition:
            case.channel = rng.choice(tuple(_PETITION_FORMS))
            case.petition.form = _PETITION_FORMS[case.channel]
            case.petition.participants = rng.choice((1, 1, 1, 2, 5))
            case.petition.first_time = rng.random() < 0.8
            case.petition.purpose = case_pb2.PETITION_PURPOSE_RESOLUTION
        else:
            case.channel = rng.choice(_HOTLINE_CHANNELS)
        if anonymous:
            case.requester.anonymous = True
        else:
            self._requester(case.requester, area, received_at)
            if defect == BAD_PHONE:
                case.requester.phone = case.requester.phone[:-1]
        return GeneratedCase(case=case, origin=origin, destination=area.jurisdiction, defect=defect)

    def _area(self, origin: str, *, cross_border: bool) -> Area:
        if cross_border:
            candidates = [a for a in self.places.areas if a.border and a.jurisdiction != origin]
        else:
            candidates = self.places.areas_in(origin)
        return self._rng.choice(candidates)

    def _location(self, location: case_pb2.Location, area: Area) -> None:
        rng = self._rng
        location.admin_code = area.code
        location.address = f"{area.prefix}{rng.choice(area.streets)}{rng.randint(1, 199)}号"
        location.point.latitude = round(area.lat + rng.uniform(-0.02, 0.02), 5)
        location.point.longitude = round(area.lng + rng.uniform(-0.02, 0.02), 5)
        location.source_crs = case_pb2.CRS_GCJ02

    def _requester(self, party: case_pb2.Party, area: Area, received_at: datetime) -> None:
        rng = self._rng
        party.name = rng.choice(self.places.surnames) + rng.choice(self.places.given_names)
        party.id_type = case_pb2.ID_TYPE_RESIDENT_ID
        home = rng.choice(self.places.areas).code if rng.random() < 0.5 else area.code
        born = received_at.date() - timedelta(days=rng.randint(20 * 365, 70 * 365))
        party.id_number = resident_id(home, born.strftime("%Y%m%d"), rng.randint(0, 999))
        party.phone = rng.choice(("139", "138", "186", "135", "150", "177")) + f"{rng.randint(0, 99_999_999):08d}"


def resident_id(region: str, birthday: str, order: int) -> str:
    """An 18-digit resident id (GB 11643) with a correct check character."""
    body = f"{region}{birthday}{order:03d}"
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]
    return body + check


def native_id(origin: str, area: Area, received_at: datetime, run_tag: int, sequence: int) -> str:
    """The origin system's own numbering, with 9 where the real sequence starts (simulated).

    The run tag moves on each time the format's sequence digits wrap, so a long run does not
    reuse an id (until the tag itself has gone round: 100 x 1000 cases for Tianjin and Hebei)."""
    local = received_at.astimezone(BEIJING_TIME)
    width = 5 if origin == "beijing" else 3
    tag = (run_tag + sequence // 10**width) % 100
    number = f"9{tag:02d}{sequence % 10**width:0{width}d}"
    if origin == "beijing":
        return f"BJ{local:%Y%m%d}{number}"
    if origin == "tianjin":
        return f"TJ-{local:%y}-{local:%m%d}-{number}"
    county = area.code if area.jurisdiction == "hebei" else "130102"
    return f"HB{county}{local:%Y}{number}"


_SIMULATED_IDS = re.compile(r"BJ[0-9]{8}9[0-9]{7}|TJ-[0-9]{2}-[0-9]{4}-9[0-9]{5}|HB[0-9]{6}[0-9]{4}9[0-9]{5}")


def is_simulated_native_id(native_id: str) -> bool:
    """A native id native_id() made: the three formats' numbering with 9 where the real sequence starts."""
    return _SIMULATED_IDS.fullmatch(native_id) is not None
