"""What the linter knows of a file and of its project: facts, the project index, scopes."""
