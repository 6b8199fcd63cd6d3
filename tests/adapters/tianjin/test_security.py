"""Hostile documents: entity expansion, external entities, encodings, size and depth limits."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from kernel.codec import Rejected
from adapters.tianjin import parser
from tests.adapters.tianjin.support import codec

NS = "urn:tj12345:workorder:2"
# Processor time of this process, not wall clock (a busy shared machine must not fail these):
# expanding any of the entity bombs below would take many seconds and gigabytes.
QUICK_CPU_SECONDS = 2.0
SECRET = "TOP-SECRET-MARKER-8f3a"

# Files opened while a hostile document is decoded (sys.addaudithook cannot be removed,
# so the hook only records while `_watching` is set).
_opened: list[str] = []
_watching = False


def _audit(event: str, args: tuple) -> None:
    if _watching and event == "open":
        _opened.append(str(args[0]))


sys.addaudithook(_audit)


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE WorkOrder [\n' + "\n".join(entities) + "\n]>\n"
        f'<WorkOrder xmlns="{NS}" version="2.1" type="HOTLINE"><Description>&lol9;</Description></WorkOrder>'
    ).encode()


def xxe(system_id: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE WorkOrder [<!ENTITY xxe SYSTEM "{system_id}">]>\n'
        f'<WorkOrder xmlns="{NS}" version="2.1" type="HOTLINE"><Description>&xxe;</Description></WorkOrder>'
    ).encode()


def hostile_documents(secret_file: Path) -> dict[str, bytes]:
    return {
        "billion_laughs": billion_laughs(),
        "xxe_passwd": xxe("file:///etc/passwd"),
        "xxe_secret": xxe(secret_file.as_uri()),
        "external_dtd": f'<!DOCTYPE WorkOrder SYSTEM "{secret_file.as_uri()}"><WorkOrder xmlns="{NS}"/>'.encode(),
        "parameter_entity": (
            f'<!DOCTYPE WorkOrder [<!ENTITY % p SYSTEM "{secret_file.as_uri()}"> %p;]><WorkOrder xmlns="{NS}"/>'
        ).encode(),
        "quadratic_blowup": (
            f'<!DOCTYPE WorkOrder [<!ENTITY a "{"x" * 100_000}">]>'
            f'<WorkOrder xmlns="{NS}"><Description>{"&a;" * 10_000}</Description></WorkOrder>'
        ).encode(),
        "undeclared_entity": f'<WorkOrder xmlns="{NS}"><Description>&xxe;</Description></WorkOrder>'.encode(),
        "xinclude": (
            f'<WorkOrder xmlns="{NS}" xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<xi:include href="{secret_file.as_uri()}" parse="text"/></WorkOrder>'
        ).encode(),
    }


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def _passwd_lines() -> list[str]:
    try:
        return [line for line in Path("/etc/passwd").read_text().splitlines() if line.strip()][:3]
    except OSError:
        return []


@pytest.mark.parametrize(
    "name",
    ["billion_laughs", "xxe_passwd", "xxe_secret", "external_dtd", "parameter_entity", "quadratic_blowup",
     "undeclared_entity", "xinclude"],
)
def test_hostile_document_is_rejected_quickly_without_reading_files(name, secret_file):
    global _watching
    content = hostile_documents(secret_file)[name]
    _opened.clear()
    _watching = True
    started = time.process_time()
    try:
        outcomes = list(codec().decode(content))
    finally:
        _watching = False
    elapsed = time.process_time() - started
    assert elapsed < QUICK_CPU_SECONDS, f"{name} took {elapsed:.3f}s of CPU"
    assert len(outcomes) == 1 and isinstance(outcomes[0], Rejected)
    rejection = outcomes[0]
    assert rejection.raw == content  # quarantined as received
    shown = " ".join([rejection.message(), rejection.field, rejection.reason, repr(rejection.to_proto())])
    assert SECRET not in shown
    for line in _passwd_lines():
        assert line not in shown
    assert "passwd" not in shown and "secret.txt" not in shown  # not even the system id is echoed
    assert not [path for path in _opened if "secret" in path or "passwd" in path], _opened


def test_dtd_rejection_names_the_rule():
    rejection = list(codec().decode(billion_laughs()))[0]
    assert rejection.field == "xml" and "DTD" in rejection.reason


@pytest.mark.parametrize(
    "content",
    [
        "<WorkOrder xmlns='urn:tj12345:workorder:2'/>".encode("utf-16"),
        "<WorkOrder xmlns='urn:tj12345:workorder:2'/>".encode("utf-16-le"),
        '<?xml version="1.0" encoding="GBK"?><WorkOrder xmlns="urn:tj12345:workorder:2"><Description>中文</Description></WorkOrder>'.encode("gbk"),
        '<?xml version="1.0" encoding="ISO-8859-1"?><WorkOrder xmlns="urn:tj12345:workorder:2"/>'.encode("latin-1"),
        '<WorkOrder xmlns="urn:tj12345:workorder:2"><Description>中文</Description></WorkOrder>'.encode("gb18030"),
        b"",
        b"   \n",
    ],
)
def test_documents_that_are_not_utf8_xml_are_rejected(content):
    outcomes = list(codec().decode(content))
    assert len(outcomes) == 1 and isinstance(outcomes[0], Rejected)
    assert outcomes[0].field == "xml"


def test_size_limit(monkeypatch):
    monkeypatch.setattr(parser, "MAX_DOCUMENT_BYTES", 1000)
    rejection = list(codec().decode(b"<a>" + b"x" * 1000 + b"</a>"))[0]
    assert rejection.field == "xml" and "exceeds" in rejection.reason


def test_depth_limit():
    deep = f'<WorkOrder xmlns="{NS}">' + "<X>" * 10_000 + "</X>" * 10_000 + "</WorkOrder>"
    started = time.process_time()
    rejection = list(codec().decode(deep.encode()))[0]
    assert time.process_time() - started < QUICK_CPU_SECONDS
    assert rejection.field == "xml" and "deeper" in rejection.reason
