"""The Beijing fast paths give exactly what the shared normalize functions give."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.beijing.hotpath import (
    beijing_time_seconds,
    format_beijing_seconds,
    normalize_lxdh,
    render_lxdh,
)
from kernel.codec import MappingError
from kernel.normalize.phone import national_form, normalize_phone
from kernel.normalize.timeutil import parse_beijing_time

FORMAT = "%Y-%m-%d %H:%M:%S"
ELEVEN_DIGITS = st.text(alphabet="0123456789", min_size=11, max_size=11)


@settings(max_examples=2000, deadline=None)
@given(ELEVEN_DIGITS | st.builds(lambda rest: "1" + rest, st.text(alphabet="0123456789", min_size=10, max_size=10)))
def test_mobile_fast_path_equals_normalize_phone(raw: str) -> None:
    assert normalize_lxdh(raw) == normalize_phone(raw, area_code="010")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=14))
def test_any_phone_text_equals_normalize_phone(raw: str) -> None:
    assert normalize_lxdh(raw) == normalize_phone(raw, area_code="010")


@settings(max_examples=2000, deadline=None)
@given(st.builds(lambda rest: "+861" + rest, st.text(alphabet="0123456789", min_size=10, max_size=10)))
def test_mobile_rendering_equals_national_form(e164: str) -> None:
    assert render_lxdh(e164) == national_form(e164, "dashed")


@pytest.mark.parametrize("e164", ["+8613800138000", "+861065123456", "+863162345678", "+85291234567", "12345", ""])
def test_rendering_examples(e164: str) -> None:
    assert render_lxdh(e164) == (national_form(e164, "dashed") if e164 else "")


@settings(max_examples=2000, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 15, 59, 59)))
def test_time_fast_path_equals_parse_beijing_time(moment: datetime) -> None:
    text = moment.strftime(FORMAT)
    seconds = beijing_time_seconds(text, "slsj")
    assert seconds == int(parse_beijing_time(text, FORMAT, "slsj").timestamp())
    assert format_beijing_seconds(seconds) == text


@settings(max_examples=2000, deadline=None)
@given(st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True) | st.text(max_size=20))
def test_time_fast_path_accepts_and_rejects_what_the_general_path_does(text: str) -> None:
    try:
        expected = int(parse_beijing_time(text, FORMAT, "blsx").timestamp())
    except MappingError as error:
        with pytest.raises(MappingError) as fast_error:
            beijing_time_seconds(text, "blsx")
        assert (fast_error.value.field, fast_error.value.reason) == (error.field, error.reason)
    else:
        assert beijing_time_seconds(text, "blsx") == expected
