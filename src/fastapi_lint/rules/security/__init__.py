"""FAL4xx: security — secrets in source, passwords in URLs, SQL built from strings.

Every secret is shown masked (`su***`): messages mask it here, and each finding carries where its
secret is in the source (`Diagnostic.secret`), so code frames mask that span and `--diff` leaves
out changes that would show it. No output is rewritten after rendering.
"""

from fastapi_lint.rules.security.credentials_in_url import CredentialsInUrl
from fastapi_lint.rules.security.hardcoded_secret import HardcodedSecret
from fastapi_lint.rules.security.sql_injection import SqlStringInterpolation

__all__ = ["CredentialsInUrl", "HardcodedSecret", "SqlStringInterpolation"]
