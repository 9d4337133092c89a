"""Real-browser tests of the course in JupyterLab (a package, so that its conftest and
modules have names of their own next to ``tests/conftest.py``)."""
