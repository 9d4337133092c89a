"""The student versions raise NotImplementedError until a learner fills them in: never collect them.

``pytest`` collects the assignment sources (``course/source``) instead; they hold the solutions.
"""

collect_ignore_glob = ["*.ipynb", "*/*.ipynb"]
