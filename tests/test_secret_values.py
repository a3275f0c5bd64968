"""What makes a value a credential for FAL401/FAL402: format, entropy, host, file role."""

import pytest

from fastapi_lint.rules.security.secret_values import (
    APPLICATION,
    SCRIPT,
    TEST,
    credential_format,
    file_role,
    is_local_host,
    is_natural_language,
    is_rate,
    looks_random,
)


@pytest.mark.parametrize(
    ("value", "random"),
    [
        ("r8Vq2mXk9LpZ4tWn7cYb3HsJ6dFg1QaE", True),
        ("Kd93!xQz7@Lp2vR8", True),
        ("b1946ac92492d2347c6235b4d2611184", True),
        ("changeme", False),
        ("admin123", False),
        ("my-secret-key-2", False),
        ("test_password_1", False),
        ("web.search.tavily_api_key", False),
        ("aaaaaaaaaaaaaaaa1", False),
        ("not random at all", False),
    ],
)
def test_random_values_are_told_from_placeholders(value, random):
    assert looks_random(value) is random


def test_tests_need_a_provider_token_in_its_full_live_format():
    slack = "xoxb-123456789012-123456789012-Zq8Lm2Vt6Rw1Xk9Pb4Nc7Hd3"
    assert credential_format("xoxb-valid-token-for-tests") is not None
    assert credential_format("xoxb-valid-token-for-tests", live=True) is None
    assert credential_format(slack, live=True) is not None
    github = "ghp_" + "Zq8Lm2Vt6Rw1Xk9Pb4Nc7Hd3Jf5Gs0Ty2UaQ"
    assert credential_format(github, live=True) == (github, "a GitHub token")
    assert credential_format("ghp_" + "a" * 36, live=True) is None  # right shape, no randomness
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    assert credential_format(pem) is not None and credential_format(pem, live=True) is None
    assert credential_format("AKIAIOSFODNN7EXAMPLE") is None


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("localhost:5432", True),
        ("127.0.0.1:6379", True),
        ("[::1]:5432", True),
        ("0.0.0.0", True),
        ("db:5432", True),
        ("host.docker.internal", True),
        ("api.example.com", True),
        ("db.acme-corp.io", False),
        ("10.0.3.7:6379", False),
        ("{}:5672", False),  # filled in at run time: may be production's
        ("db1:5432,db2.acme-corp.io:5432", False),
    ],
)
def test_local_hosts(host, local):
    assert is_local_host(host) is local


def test_messages_and_rates_are_not_secrets():
    assert is_natural_language("令牌无效") and is_natural_language("Your password was reset")
    assert not is_natural_language("Xk9#mQ2$vL7pR4tW")
    assert is_rate("3/hour") and is_rate("10 per minute") and not is_rate("3hourS3cr3t")


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("app/tests/test_api.py", TEST),
        ("app/test/helpers.py", TEST),
        ("app/settings/testing.py", TEST),
        ("app/conftest.py", TEST),
        ("scripts/seed_admin.py", SCRIPT),
        ("app/config.py", APPLICATION),
    ],
)
def test_file_roles(path, role):
    assert file_role(path) == role
