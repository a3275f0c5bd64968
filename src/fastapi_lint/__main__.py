import sys

from fastapi_lint.memo import main

if __name__ == "__main__":
    sys.exit(main())
