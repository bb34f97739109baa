import pytest

from postguard.policy.validators import (
    VALIDATORS,
    age_90_plus,
    cn_mobile,
    gb11643,
    in_mobile,
    luhn,
    nanp_phone,
    uk_phone,
)


@pytest.mark.parametrize("value", ["11010519491231002X", "440524188001010014", "11010519491231002x"])
def test_gb11643_accepts_ids_with_a_valid_checksum(value):
    assert gb11643(value)


@pytest.mark.parametrize("value", [
    "110105194912310021",  # wrong check digit
    "110105194913310027",  # month 13
    "110105203001010010",  # born in the future
    "11010519491231002",  # 17 digits
])
def test_gb11643_rejects_bad_checksums_dates_and_lengths(value):
    assert not gb11643(value)


def test_luhn():
    assert luhn("4539 1488 0343 6467")
    assert not luhn("4539 1488 0343 6468")


def test_cn_mobile():
    assert cn_mobile("13812345678") and cn_mobile("+8613912345678")
    assert not cn_mobile("12812345678") and not cn_mobile("13800000000")


def test_north_american_numbers():
    assert nanp_phone("(415) 555-2671") and nanp_phone("+1 212 867 5309")
    assert not nanp_phone("(115) 555-2671") and not nanp_phone("411-555-2671".replace("411", "211")[:3] + "1112671")


def test_uk_numbers():
    assert uk_phone("07700 900123") and uk_phone("020 7946 0018") and uk_phone("+44 20 7946 0018")
    assert not uk_phone("09700 900123")


def test_indian_mobile_numbers():
    assert in_mobile("98450 31762") and in_mobile("+91 98450 31762") and in_mobile("098450 31762")
    assert not in_mobile("58450 31762") and not in_mobile("9845031") and not in_mobile("9999999999")


def test_age_90_plus():
    assert age_90_plus("93岁") and not age_90_plus("89 y/o")


def test_every_validator_is_registered_by_name():
    assert {"gb11643", "luhn", "cn_mobile", "nanp_phone", "uk_phone", "in_mobile", "phone"} <= set(VALIDATORS)
