"""WeChat safe-mode encryption: key parsing, round trips, tampering, and the AppID inside."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers import WeChat, receive
from hookreceiver.providers import wechat_crypto as crypto

ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues
APP_ID = "wx1234567890abcdef"
MESSAGE = b"<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>"
RANDOM16 = b"0123456789abcdef"


@pytest.fixture
def key() -> bytes:
    return crypto.aes_key(ENCODING_AES_KEY)


def test_aes_key_is_the_32_bytes_of_the_encoding_aes_key() -> None:
    key = crypto.aes_key(f"  {ENCODING_AES_KEY}\n")
    assert len(key) == 32 and key == base64.b64decode(ENCODING_AES_KEY + "=")


@pytest.mark.parametrize(
    "bad", ["", "short", ENCODING_AES_KEY[:-1], ENCODING_AES_KEY + "H", ENCODING_AES_KEY[:-1] + "!"]
)
def test_a_malformed_encoding_aes_key_is_a_configuration_error(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="43-character EncodingAESKey"):
        crypto.aes_key(bad)


def test_round_trip_keeps_message_and_app_id(key: bytes) -> None:
    ciphertext = crypto.encrypt(MESSAGE, key=key, app_id=APP_ID, random16=RANDOM16)
    raw = base64.b64decode(ciphertext)
    assert len(raw) % crypto.BLOCK == 0
    assert crypto.decrypt(ciphertext, key=key) == (MESSAGE, APP_ID)
    # The same inputs give the same bytes; a fresh random prefix gives others.
    assert crypto.encrypt(MESSAGE, key=key, app_id=APP_ID, random16=RANDOM16) == ciphertext
    assert crypto.encrypt(MESSAGE, key=key, app_id=APP_ID) != ciphertext


@given(message=st.binary(max_size=300), app_id=st.text(max_size=40))
def test_any_message_round_trips(message: bytes, app_id: str) -> None:
    key = crypto.aes_key(ENCODING_AES_KEY)
    assert crypto.decrypt(crypto.encrypt(message, key=key, app_id=app_id), key=key) == (message, app_id)


def test_random16_must_be_16_bytes(key: bytes) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        crypto.encrypt(MESSAGE, key=key, app_id=APP_ID, random16=b"short")


def test_no_flipped_byte_decrypts_to_the_original(key: bytes) -> None:
    raw = bytearray(base64.b64decode(crypto.encrypt(MESSAGE, key=key, app_id=APP_ID, random16=RANDOM16)))
    for position in range(16, len(raw)):  # past the first block, which only holds the random prefix
        tampered = bytearray(raw)
        tampered[position] ^= 0x01
        try:
            result = crypto.decrypt(base64.b64encode(bytes(tampered)).decode(), key=key)
        except PayloadError as exc:
            assert exc.reason == "undecryptable"
        else:
            assert result != (MESSAGE, APP_ID), position


def test_another_key_does_not_decrypt(key: bytes) -> None:
    other = crypto.aes_key("A" * 42 + "E")
    ciphertext = crypto.encrypt(MESSAGE, key=key, app_id=APP_ID, random16=RANDOM16)
    with pytest.raises(PayloadError) as info:
        crypto.decrypt(ciphertext, key=other)
    assert info.value.reason == "undecryptable"


def test_a_message_for_another_app_id_says_so(key: bytes) -> None:
    ciphertext = crypto.encrypt(MESSAGE, key=key, app_id="wxOTHER", random16=RANDOM16)
    message, app_id = crypto.decrypt(ciphertext, key=key)
    assert (message, app_id) == (MESSAGE, "wxOTHER")


def test_the_provider_refuses_a_message_encrypted_for_another_app_id() -> None:
    sender = WeChat(secret="token", aes_key=ENCODING_AES_KEY, app_id="wxOTHER")
    request = sender.sign(
        {"Content": "hi"},
        topic="text",
        delivery_id="1",
        timestamp=1_700_000_000,
        url="https://e.example/wechat",
    )
    ours = WeChat(secret="token", aes_key=ENCODING_AES_KEY, app_id=APP_ID)
    with pytest.raises(SignatureError) as info:
        receive(ours, request, endpoint="/wechat", now=1_700_000_000)
    assert info.value.reason == "bad_app_id"
    same = WeChat(secret="token", aes_key=ENCODING_AES_KEY, app_id="wxOTHER")
    assert receive(same, request, endpoint="/wechat", now=1_700_000_000) is not None


@pytest.mark.parametrize(
    "ciphertext",
    ["not base64!", "", base64.b64encode(b"x" * 15).decode(), base64.b64encode(b"x" * 33).decode()],
)
def test_malformed_ciphertext_is_undecryptable(ciphertext: str, key: bytes) -> None:
    with pytest.raises(PayloadError) as info:
        crypto.decrypt(ciphertext, key=key)
    assert info.value.reason == "undecryptable"


@given(raw=st.binary(min_size=1, max_size=200))
def test_decrypt_raises_nothing_but_payload_errors(raw: bytes) -> None:
    key = crypto.aes_key(ENCODING_AES_KEY)
    try:
        crypto.decrypt(base64.b64encode(raw).decode(), key=key)
    except PayloadError:
        pass
