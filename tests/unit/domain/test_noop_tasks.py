"""The noopTasksSet bloom filter: spec vectors, wire layout and the official SDK's output."""

import base64
import hashlib
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kongflow.domain.noop_tasks import (
    NOOP_TASK_SET_BITS,
    NOOP_TASK_SET_BYTES,
    NoopTaskSet,
    encode_noop_tasks,
    noop_bit,
    noop_hash,
)

NODE_MODULES = Path(__file__).parents[2] / "compat" / "node" / "node_modules"
CORE_BACKEND = NODE_MODULES / "@trigger.dev" / "core-backend"

LOG_KEY = "b8fbe60a8011f24fdf12a74586decdfdb8e792f5c8fe93944609fd79ddc8b276"
WAIT_KEY = "6ac3170a72640a20acac9fd7852f7eea20e1b9ad56dbd72ab1b7c1a75572c683"

# Any text a JavaScript string can hold, lone surrogates included.
js_strings = st.text(alphabet=st.characters(codec=None, exclude_categories=()))


@pytest.mark.parametrize(
    ("key", "bit"),
    [(LOG_KEY, 13812), (WAIT_KEY, 23253), ("abc", 12643)],
)
def test_spec_vectors(key: str, bit: int) -> None:
    assert noop_bit(key) == bit


# Full 53-bit values printed by the SDK's murmurHash3 (Node 20, core-backend 2.3.19).
@pytest.mark.parametrize(
    ("key", "value"),
    [
        (LOG_KEY, 1425989692798452),
        (WAIT_KEY, 6665780539972309),
        ("abc", 3341142660002147),
        ("", 8126267335755433),
        ("héllo", 7534972321310037),
        ("日本", 8849063566194440),
        ("\U0001f600", 170416968847395),
        ("\ud800", 1082419526113511),
    ],
    ids=["log", "wait", "abc", "empty", "latin", "cjk", "emoji", "lone-surrogate"],
)
def test_hash_values_recorded_from_the_sdk(key: str, value: int) -> None:
    assert noop_hash(key) == value
    assert noop_bit(key) == value % NOOP_TASK_SET_BITS


def test_empty_set_is_4096_zero_bytes() -> None:
    encoded = NoopTaskSet().encode()
    assert len(encoded) == 5464
    assert base64.b64decode(encoded) == bytes(NOOP_TASK_SET_BYTES)
    assert encode_noop_tasks([]) == encoded


def test_bit_layout_is_byte_index_over_8_lsb_first() -> None:
    raw = base64.b64decode(encode_noop_tasks(["abc"]))
    # 12643 = 1580 * 8 + 3
    assert raw[1580] == 0b0000_1000
    assert sum(1 for byte in raw if byte) == 1


def test_keys_sharing_a_byte_set_distinct_bits() -> None:
    keys: dict[int, str] = {}
    i = 0
    while len(keys) < 2:
        key = f"key-{i}"
        i += 1
        bit = noop_bit(key)
        if bit >> 3 == 1580 and bit != 12643 and bit not in keys:
            keys[bit] = key
    raw = base64.b64decode(encode_noop_tasks(["abc", *keys.values()]))
    expected = (1 << 3) | sum(1 << (bit & 7) for bit in keys)
    assert raw[1580] == expected


def test_membership_and_repeated_adds() -> None:
    tasks = NoopTaskSet([LOG_KEY])
    assert LOG_KEY in tasks
    assert WAIT_KEY not in tasks
    before = tasks.encode()
    tasks.add(LOG_KEY)
    assert tasks.encode() == before
    tasks.add(WAIT_KEY)
    assert WAIT_KEY in tasks
    assert tasks.encode() != before


def test_non_strings_are_never_members() -> None:
    tasks = NoopTaskSet(["1"])
    assert 1 not in tasks
    assert None not in tasks
    assert b"1" not in tasks


def test_order_of_keys_does_not_matter() -> None:
    keys = [LOG_KEY, WAIT_KEY, "abc", "héllo"]
    assert encode_noop_tasks(keys) == encode_noop_tasks(reversed(keys))


def test_non_bmp_characters_hash_as_surrogate_pairs() -> None:
    emoji = "\U0001f600"
    assert noop_hash(emoji) == noop_hash("\ud83d\ude00")
    # Two code units, not one: differs from hashing the code point as a single unit.
    assert noop_hash(emoji) != noop_hash("\uf600")


def test_lone_surrogates_are_hashed() -> None:
    assert 0 <= noop_bit("\ud800") < NOOP_TASK_SET_BITS
    assert noop_hash("\ud800") != noop_hash("\udc00")


def test_to_bytes_matches_encode() -> None:
    tasks = NoopTaskSet([LOG_KEY, WAIT_KEY])
    assert base64.b64encode(tasks.to_bytes()).decode() == tasks.encode()


def test_decode_round_trips_bits() -> None:
    tasks = NoopTaskSet([LOG_KEY, "日本"])
    decoded = NoopTaskSet.decode(tasks.encode())
    assert decoded.to_bytes() == tasks.to_bytes()
    assert LOG_KEY in decoded
    assert "日本" in decoded


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "not base64!",
        base64.b64encode(bytes(NOOP_TASK_SET_BYTES - 1)).decode(),
        base64.b64encode(bytes(NOOP_TASK_SET_BYTES + 1)).decode(),
        base64.b64encode(bytes(NOOP_TASK_SET_BYTES)).decode()[:-1],
    ],
    ids=["empty", "garbage", "short", "long", "truncated"],
)
def test_decode_rejects_malformed_input(encoded: str) -> None:
    with pytest.raises(ValueError, match="noopTasksSet"):
        NoopTaskSet.decode(encoded)


@given(js_strings)
def test_hash_fits_53_bits_and_bit_is_its_remainder(key: str) -> None:
    h = noop_hash(key)
    assert 0 <= h < 2**53
    assert noop_bit(key) == h % NOOP_TASK_SET_BITS
    assert 0 <= noop_bit(key) < NOOP_TASK_SET_BITS
    # 2**32 is a multiple of the filter size, so only the low lane matters.
    assert noop_bit(key) == (h & 0xFFFF_FFFF) & 0x7FFF


@given(st.lists(js_strings, max_size=30))
def test_encoding_has_wire_length_and_round_trips(keys: list[str]) -> None:
    encoded = encode_noop_tasks(keys)
    assert len(encoded) == 5464
    decoded = NoopTaskSet.decode(encoded)
    assert all(key in decoded for key in keys)
    raw = decoded.to_bytes()
    assert sum(bin(byte).count("1") for byte in raw) == len({noop_bit(k) for k in keys})


@given(st.text(alphabet=st.characters(min_codepoint=0x10000)))
def test_supplementary_text_equals_its_surrogate_spelling(key: str) -> None:
    spelled = "".join(
        chr(0xD800 + ((ord(c) - 0x10000) >> 10)) + chr(0xDC00 + ((ord(c) - 0x10000) & 0x3FF))
        for c in key
    )
    assert len(spelled) == 2 * len(key)
    assert noop_hash(spelled) == noop_hash(key)


# --- the official SDK ---------------------------------------------------------------

SDK_SCRIPT = r"""
const fs = require("fs");
const path = require("path");
const [pkgDir] = process.argv.slice(1);
const { BloomFilter } = require(pkgDir);
const { keys, probes } = JSON.parse(fs.readFileSync(0, "utf8"));

const size = BloomFilter.NOOP_TASK_SET_SIZE;
const filter = new BloomFilter(size);
for (const key of keys) filter.add(key);

// The bit each key sets, read back from a one-key filter (public API only).
const bits = keys.map((key) => {
  const single = new BloomFilter(size);
  single.add(key);
  const raw = Buffer.from(single.serialize(), "base64");
  for (let i = 0; i < raw.length; i++) {
    if (raw[i]) return i * 8 + Math.log2(raw[i]);
  }
  return null;
});

// murmurHash3 is not exported; lift the function out of the bundle when we can.
let hashes = null;
const bundle = fs.readFileSync(path.join(pkgDir, "dist", "index.js"), "utf8");
const found = bundle.match(/function murmurHash3\(str, seed = 0\) \{[\s\S]*?\n\}/);
if (found) {
  const murmurHash3 = new Function(`${found[0]}; return murmurHash3;`)();
  hashes = keys.map((key) => murmurHash3(key));
}

process.stdout.write(JSON.stringify({
  size,
  encoded: filter.serialize(),
  bits,
  hashes,
  probes: probes.map((key) => filter.test(key)),
}));
"""

SDK_CHECK_SCRIPT = r"""
const fs = require("fs");
const [pkgDir] = process.argv.slice(1);
const { BloomFilter } = require(pkgDir);
const { encoded, keys } = JSON.parse(fs.readFileSync(0, "utf8"));
const filter = BloomFilter.deserialize(encoded, BloomFilter.NOOP_TASK_SET_SIZE);
process.stdout.write(JSON.stringify(keys.map((key) => filter.test(key))));
"""


RANGES = [(0x20, 0x7F), (0xA0, 0xD800), (0xE000, 0x10000), (0x10000, 0x110000)]


def _sdk_keys() -> list[str]:
    hex_keys = [hashlib.sha256(f"task-{i}".encode()).hexdigest() for i in range(30)]
    special = [
        LOG_KEY,
        WAIT_KEY,
        "abc",
        "",
        "héllo",
        "日本",
        "\U0001f600",
        "a\U0001f680b\U0001f9ea",
        "\U0010ffff",
        "\ud800",
        "x\udfff",
        "\x00",
        "\uffff",
        "tab\tnew\nline",
        "Ω≈ç√∫",
        "x" * 1000,
        "🏳️‍🌈 family 👨‍👩‍👧",
    ]
    rng = random.Random(2024)  # ASCII, the rest of the BMP, and beyond it
    generated = [
        "".join(
            chr(rng.choice([rng.randrange(lo, hi) for lo, hi in RANGES]))
            for _ in range(rng.randrange(1, 40))
        )
        for _ in range(40)
    ]
    return hex_keys + special + generated


def _run_node(script: str, payload: object) -> object:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not CORE_BACKEND.is_dir():
        pytest.skip(f"the official SDK is not installed at {NODE_MODULES}")
    completed = subprocess.run(
        [node, "-e", script, str(CORE_BACKEND)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout)


@pytest.mark.compat
def test_sdk_bloom_filter_serialises_identically() -> None:
    keys = _sdk_keys()
    probes = [f"absent-{i}" for i in range(200)]
    result = _run_node(SDK_SCRIPT, {"keys": keys, "probes": probes})
    assert isinstance(result, dict)

    assert result["size"] == NOOP_TASK_SET_BITS
    assert encode_noop_tasks(keys) == result["encoded"]
    assert [noop_bit(key) for key in keys] == result["bits"]
    ours = NoopTaskSet(keys)
    assert [probe in ours for probe in probes] == result["probes"]


@pytest.mark.compat
def test_sdk_hash_function_gives_the_same_53_bit_values() -> None:
    keys = _sdk_keys()
    result = _run_node(SDK_SCRIPT, {"keys": keys, "probes": []})
    assert isinstance(result, dict)
    if result["hashes"] is None:
        pytest.skip("murmurHash3 is not exported and was not found in the SDK bundle")
    assert [noop_hash(key) for key in keys] == result["hashes"]


@pytest.mark.compat
def test_sdk_reads_our_encoding() -> None:
    keys = _sdk_keys()
    members = keys[::2]
    encoded = encode_noop_tasks(members)
    answers = _run_node(SDK_CHECK_SCRIPT, {"encoded": encoded, "keys": keys})
    ours = NoopTaskSet.decode(encoded)
    assert answers == [key in ours for key in keys]
    assert all(answers[::2])
