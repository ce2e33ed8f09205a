"""The built-in rubrics. Each module is a plugin registered through the ``kinerja`` entry-point
group in pyproject.toml, exactly as an installed rubric would be."""
