"""Every end-to-end test also checks its own log output: no citizen's name, ID number or phone."""

from __future__ import annotations

import pytest

from tests.support.personal_data import leaks, personal_values


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(request):
    assert personal_values(), "the samples hold personal data: the check must have something to look for"
    # A test that reads its own output with capsys keeps it; the others are captured at the descriptors.
    capture = request.getfixturevalue("capsys" if "capsys" in request.fixturenames else "capfd")
    yield
    out, err = capture.readouterr()
    found = leaks(out + err)
    assert not found, f"personal data in the logs of this test: {found}"
