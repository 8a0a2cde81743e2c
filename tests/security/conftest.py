import pytest


@pytest.fixture(autouse=True)
def quick_password_hashing(settings: pytest.FixtureRequest) -> None:
    # Hundreds of sign-ins per test; the production hasher's cost is not what these tests measure.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
