"""A content sketch as packed 32-bit values (the repeat index's form of a digest's sketch)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

SKETCH_VALUE_BYTES = 4  # each sketch value is the first 4 bytes of a keyed SHA-256
if array("I").itemsize != SKETCH_VALUE_BYTES:  # "I" is 4 bytes on every platform we run on; say so if not
    raise RuntimeError(f"array('I') holds {array('I').itemsize} bytes here, the sketch needs {SKETCH_VALUE_BYTES}")


class PackedSketch:
    """A content sketch as packed 32-bit values: about 1 KB, where a set of 256 strings took over 20 KB.
    The index holds the digest of every case of the other members within the window (a stalled inbox
    with 50,000 referrals waiting grew the adapter by 300 MB). A set is made only when two cases of one
    requester are compared (`jaccard` uses `&` and `len`; the index iterates it once per case)."""

    __slots__ = ("_packed",)

    def __init__(self, values: Iterable[int]) -> None:
        self._packed = array("I", sorted(set(values))).tobytes()

    def values(self) -> frozenset[int]:
        return frozenset(self._unpacked())

    def __iter__(self) -> Iterator[int]:
        return iter(self._unpacked())

    def _unpacked(self) -> array:
        unpacked = array("I")
        unpacked.frombytes(self._packed)
        return unpacked

    def __and__(self, other: "PackedSketch") -> frozenset[int]:
        return self.values() & other.values()

    def __len__(self) -> int:
        return len(self._packed) // SKETCH_VALUE_BYTES

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PackedSketch) and self._packed == other._packed

    def __hash__(self) -> int:
        return hash(self._packed)

    @property
    def packed(self) -> bytes:
        return self._packed

    @classmethod
    def from_packed(cls, packed: bytes) -> "PackedSketch":
        """As stored (`packed`): already sorted and unique."""
        if len(packed) % SKETCH_VALUE_BYTES:
            raise ValueError(f"a packed sketch is a multiple of {SKETCH_VALUE_BYTES} bytes, not {len(packed)}")
        sketch = cls.__new__(cls)
        sketch._packed = bytes(packed)
        return sketch
