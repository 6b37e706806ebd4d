"""The toy app kingadmin's own tests run on: authors, books, tags, reviews."""
