"""Build configuration beyond pyproject.toml: the optional C speed-ups (postguard/_native.c).

`optional=True`: where no C compiler is available the build goes on without them, and postguard uses its
pure-Python path (the same results, slower)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("postguard._native", ["postguard/_native.c"], optional=True,
                             extra_compile_args=["-O2"])])
