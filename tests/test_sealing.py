"""Sealed secrets: readable back with the deployment's key only, for the purpose and municipality sealed for."""

from __future__ import annotations

import pytest

from lgcloud.sealing import UnreadableSecret, is_sealed, seal, unseal

KEY = "test-deployment-key-0123456789"


def test_a_sealed_value_opens_with_the_same_key_purpose_and_municipality() -> None:
    token = seal("whsec_abc", purpose="p", lg_code="131016", secret_key=KEY)
    assert is_sealed(token) and "whsec_abc" not in token
    assert unseal(token, purpose="p", lg_code="131016", secret_key=KEY) == "whsec_abc"
    assert seal("whsec_abc", purpose="p", lg_code="131016", secret_key=KEY) != token  # a fresh nonce each time


@pytest.mark.parametrize(
    ("purpose", "lg_code", "key"),
    [("other", "131016", KEY), ("p", "182079", KEY), ("p", "131016", "another-deployment-key-0123")],
)
def test_it_does_not_open_elsewhere(purpose: str, lg_code: str, key: str) -> None:
    token = seal("whsec_abc", purpose="p", lg_code="131016", secret_key=KEY)
    with pytest.raises(UnreadableSecret, match="LGCLOUD_SECRET_KEY"):
        unseal(token, purpose=purpose, lg_code=lg_code, secret_key=key)


def test_tampered_or_clear_values_are_refused() -> None:
    token = seal("whsec_abc", purpose="p", lg_code="131016", secret_key=KEY)
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (flipped, "whsec_abc", "sealed:v1:%%%"):
        with pytest.raises(UnreadableSecret):
            unseal(bad, purpose="p", lg_code="131016", secret_key=KEY)
