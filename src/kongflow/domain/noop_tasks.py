"""The ``noopTasksSet`` bloom filter sent in EXECUTE_JOB.

Completed noop tasks (log lines, elapsed ``io.wait``s) are not sent back in the
``tasks`` list on re-execution. Instead the server may send a bitset of their
idempotency keys; the v2 SDK tests each noop task's key against it and, on a hit,
returns ``{}`` without calling run-task. A key left out only costs a request (the
server answers with the existing COMPLETED task). A false positive, though, makes
the SDK skip a noop task that never ran (a log line is not written, an ``io.wait``
does not wait); with one hash over 32,768 bits the odds grow with the number of
keys, which is a property of the SDK's format that the server cannot change.

The format is fixed by the SDK's ``BloomFilter`` (``@trigger.dev/core-backend``):
32,768 bits (4,096 bytes, standard base64, 5,464 characters), one hash function.
A key sets bit ``i = H(key) mod 32768``, kept in byte ``i >> 3`` at bit ``i & 7``
(least significant bit first). ``H`` is the SDK's 53-bit MurmurHash3-like hash
("cyrb53" style) over the key's UTF-16 code units, so characters outside the Basic
Multilingual Plane count as two units (their surrogate pair). JavaScript computes
it with ``Math.imul`` and 32-bit shifts; here every lane is kept as an unsigned
32-bit integer and masked after each multiplication, which gives the same bits.

Pure: no I/O, standard library only.
"""

import base64
import binascii
import struct
from collections.abc import Iterable

NOOP_TASK_SET_BITS = 32_768
NOOP_TASK_SET_BYTES = NOOP_TASK_SET_BITS // 8

_MASK32 = 0xFFFF_FFFF


def _imul(a: int, b: int) -> int:
    """``Math.imul`` on unsigned 32-bit lanes: the low 32 bits of the product."""
    return (a * b) & _MASK32


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK32


def _avalanche(h: int) -> int:
    h = _imul(h ^ (h >> 16), 0x85EB_CA6B)
    h = _imul(h ^ (h >> 13), 0xC2B2_AE35)
    return h ^ (h >> 16)


def _utf16_units(key: str) -> tuple[int, ...]:
    # "surrogatepass" keeps lone surrogates, which JavaScript strings may also hold.
    data = key.encode("utf-16-le", "surrogatepass")
    return struct.unpack(f"<{len(data) // 2}H", data)


def noop_hash(key: str) -> int:
    """The SDK's 53-bit hash of ``key``: ``(lane2 & 0x1fffff) * 2**32 + lane1``."""
    units = _utf16_units(key)
    h1 = 0xDEAD_BEEF
    h2 = 0x41C6_CE57
    for unit in units:
        h1 = _imul(_rotl(_imul(h1 ^ unit, 0xCC9E_2D51), 15), 0x1B87_3593)
        h2 = _imul(_rotl(_imul(h2 ^ unit, 0x85EB_CA6B), 13), 0xC2B2_AE35)
    h1 = _avalanche(h1 ^ len(units))
    h2 = _avalanche(h2 ^ len(units))
    return (h2 & 0x1F_FFFF) * 2**32 + h1


def noop_bit(key: str) -> int:
    """The index (0 to 32,767) of the bit that ``key`` sets in the filter."""
    return noop_hash(key) % NOOP_TASK_SET_BITS


class NoopTaskSet:
    """A mutable ``noopTasksSet``: add idempotency keys, then ``encode()`` it for the wire."""

    __slots__ = ("_bits",)

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._bits = bytearray(NOOP_TASK_SET_BYTES)
        for key in keys:
            self.add(key)

    def add(self, key: str) -> None:
        """Set the bit for ``key``."""
        index = noop_bit(key)
        self._bits[index >> 3] |= 1 << (index & 7)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` may have been added (false positives are possible)."""
        if not isinstance(key, str):
            return False
        index = noop_bit(key)
        return bool(self._bits[index >> 3] & (1 << (index & 7)))

    def to_bytes(self) -> bytes:
        """The 4,096 raw bytes of the bitset."""
        return bytes(self._bits)

    def encode(self) -> str:
        """The bitset as standard base64 (5,464 characters), as the SDK deserialises it."""
        return base64.b64encode(self._bits).decode("ascii")

    @classmethod
    def decode(cls, encoded: str) -> "NoopTaskSet":
        """Read back an encoded set; ``ValueError`` unless it is base64 of exactly 4,096 bytes."""
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"noopTasksSet is not valid base64: {exc}") from exc
        if len(raw) != NOOP_TASK_SET_BYTES:
            raise ValueError(f"noopTasksSet must hold {NOOP_TASK_SET_BYTES} bytes, not {len(raw)}")
        decoded = cls()
        decoded._bits[:] = raw
        return decoded


def encode_noop_tasks(keys: Iterable[str]) -> str:
    """The base64 ``noopTasksSet`` for the idempotency keys of a run's completed noop tasks."""
    return NoopTaskSet(keys).encode()
