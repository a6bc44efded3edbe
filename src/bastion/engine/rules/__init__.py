"""The rule language: grammar, type checker and the two compilers (Python and Polars)."""
