"""nbgrader configuration of the dlcourse course (nbgrader 0.9).

Run nbgrader from this folder, with the environment's ``bin`` on PATH (nbgrader calls
``alembic`` when it opens the gradebook)::

    cd course
    nbgrader generate_assignment ex01_perceptron --force   # or: python scripts/release_exercises.py
    nbgrader autograde ex01_perceptron
    nbgrader formgrader / nbgrader generate_feedback / nbgrader export

Layout (nbgrader's defaults): ``source/<assignment>/`` holds the instructor versions with
solutions and hidden tests (committed); ``release/<assignment>/`` the student versions that
nbgrader generates (committed, so that learners on Binder and Colab find them);
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` are the instructor's
working files and never belong in the repository.
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.CourseDirectory.course_id = "dlcourse"

# Student versions: nbgrader replaces everything between the solution markers with this stub.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# ---------------------------------------------------------------------------------------
# Autograding
# ---------------------------------------------------------------------------------------
# The kernels nbgrader starts inherit this process's environment. TensorFlow's C++ logging
# goes to stderr, and nbgrader scores a test cell that wrote anything to stderr as failed,
# so quieten it before any kernel starts (a value the instructor set wins).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Training a small CNN or LSTM inside a test cell takes seconds; allow for slow machines.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

# Some output on stderr is never the learner's answer and must not cost points. nbgrader
# 0.9.4+ drops each stderr output of a cell that matches this pattern (re.search). Matched:
# TensorFlow/absl start-up logs (TF 2.21 prints "oneDNN custom operations are on" even with
# TF_CPP_MIN_LOG_LEVEL=2), absl and TensorFlow logger lines, any Python warning (a correct
# answer may call a library that warns), and text progress bars (tqdm writes to stderr),
# including the lone newline that ends one.
# Dropping stderr can only restore points: the tests never use stderr to fail a wrong answer;
# they raise an error (and check for warnings explicitly where that is the point).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(?m)\A\s*\Z"  # nothing but whitespace (tqdm ends its bar with a lone newline)
    r"|^("
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] "  # absl C++ log line: I0000 00:00:1795325079.02 9632 port.cc:153]
    r"|To enable the following instructions: .* rebuild TensorFlow"  # 2nd line of TF's CPU-feature note
    r"|(WARNING|INFO|ERROR):(absl|tensorflow|keras|py\.warnings):"
    r"|.*:\d+: [A-Za-z]*Warning: "  # Python's warnings.showwarning format: file:line: Category: message
    r"|.*\| *\d+(/\d+|/\?)? \[\d+:\d\d"  # tqdm: " 40%|####      | 50/125 [00:01<00:02, ..."
    r")"
)

# Feedback and the formgrader show the output of every cell; keep long outputs readable.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60
