"""Small builders the tests share."""

from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from safeenough.storage.fixtures import DEMO_PASSWORD


def login(practice: Practice, username: str, password: str = DEMO_PASSWORD) -> Clinician:
    return practice.authenticate(username, password, client_address="test")
