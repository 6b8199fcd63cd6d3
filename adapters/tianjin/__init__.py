"""Tianjin 12345 work orders (XML, namespace urn:tj12345:workorder:2) <-> the common case model.

As in every jurisdiction package: parser.py (bytes -> <WorkOrder> elements, safely),
tables.py (the format's constants; code tables in schemas/tianjin/), to_common.py
(element -> case, read through `extensions.Node`, so whatever it does not read ends
up in `Case.extensions`; extensions.py documents the path convention),
from_common.py (case -> element: the SPEC's element order, then the "tianjin."
extensions grafted back), renderer.py (elements -> bytes), codec.py (the Codec
hooks). xsd.py reads schemas/tianjin/workorder.xsd for the tests.

Field-by-field decisions the SPEC leaves open:

- OrderNo is always `Case.native_id`. For a case that came from Beijing or Hebei it
  is therefore the origin's own id (工单编号 / 件号): Tianjin registers a referral
  under a TJ- number of its own, and quoting the origin's id is what lets both
  sides (and the gateway) correlate replies with the case. Such a document is
  valid for Tianjin (workorder.xsd's OrderNo accepts referred ids) but is not a
  Tianjin-origin order, so decoding it back is rejected (the OrderNo rule).
- Free text (Subject, Description, Name, Address, Category text, Handler and Step
  text, Step@by/@action) is kept exactly; only Description (the citizen's words) is
  NFC-normalised. Codes, ids, phones, times and numbers are full-width folded and
  stripped.
- An anonymous Caller with identifying children: the identity is dropped (the model
  forbids it on an anonymous requester) and flagged `requester.anonymous:identity_dropped`.
- An invalid phone is kept as typed and flagged; if it came from <Phone area="...">
  the area attribute stays as extension `Caller/Phone@area` so it renders back alike.
- Petition attributes persons/overLevel/repeat/firstTime read as 0/false when absent;
  booleans are always rendered, persons only when not 0.
- Coordinates: Tianjin writes BD-09 (Coord@crs absent means BD09, any other value
  is rejected); the case holds WGS-84. Rendered coordinates are always BD-09 with 8
  decimals (about 1 mm), trailing zeros removed, so a source's BD-09 value survives
  native -> common -> native unchanged; common -> native -> common moves a point by
  at most ~1e-8 degrees (the tests compare points within 1e-7).
- Times render in whole seconds (the format has no fraction).
- Feedback: an absent attribute stays unset (contacted/resolved are optional in the
  model); a <Feedback/> element is kept as a present, empty Feedback.
- Version: 2.0 and 2.1 are accepted (a 2.0 order with Attachments too); a
  Tianjin-origin case renders with its own version, anything else as 2.1.
- One order from a batch renders as a single <WorkOrder> (the same content), unless
  the batch root had attributes of its own (`tianjin.WorkOrders@...`): then it
  renders inside a <WorkOrders> root, so nothing is lost.
- Extensions of other jurisdictions ("beijing.", "hebei.") are not rendered, and a
  "tianjin." extension never overwrites a value from_common rendered.
"""

from adapters.tianjin.codec import TianjinCodec

CODEC = TianjinCodec()

__all__ = ["CODEC", "TianjinCodec"]
