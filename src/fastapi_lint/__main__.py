from fastapi_lint.memo import script

if __name__ == "__main__":
    script()
