"""Split a class over several grading machines: ``dlcourse grade run ASSIGNMENT --shard K/N``.

Every machine runs the same command with its own ``K`` (1..N) against one shared gradebook
database (PostgreSQL; see the README's "Grading a large class on several machines"). A
student belongs to shard ``sha256(student id) mod N + 1``: the split depends on nothing but
the id, so it is the same on every machine, whatever order or roster file each one reads,
and adding a student later moves nobody else. The shards are disjoint and together cover
the roster, so the export after all N runs is the class's, exactly as one unsharded run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based, as typed on the command line).

    Examples
    --------
    >>> shard = Shard.parse("2/3")
    >>> shard, shard.label, shard.suffix
    (Shard(index=2, count=3), '2/3', '-shard-2-of-3')
    >>> [s for s in ["ada", "alan", "grace", "edsger", "barbara"] if shard.owns(s)]
    ['edsger', 'barbara']
    >>> sorted(owner_of(s, 3) for s in ["ada", "alan", "grace", "edsger", "barbara"])
    [2, 2, 3, 3, 3]
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        """Refuse a shard that does not exist (``K`` outside 1..N)."""
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count} does not exist: use K/N with 1 <= K <= N, "
                             "for example --shard 1/2 on one machine and --shard 2/2 on the other")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read ``"K/N"``.

        Parameters
        ----------
        text : str
            For example ``"1/4"``.

        Returns
        -------
        Shard
            The shard.

        Raises
        ------
        ValueError
            If ``text`` is not ``K/N`` with ``1 <= K <= N``.

        Examples
        --------
        >>> Shard.parse(" 1/4 ")
        Shard(index=1, count=4)
        >>> Shard.parse("0/4")
        Traceback (most recent call last):
        ...
        ValueError: shard 0/4 does not exist: use K/N with 1 <= K <= N, for example --shard 1/2 on one machine and --shard 2/2 on the other
        """
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not m:
            raise ValueError(f"--shard {text!r}: expected K/N, for example 1/2 (this machine grades "
                             "the first of two disjoint parts of the roster)")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def label(self) -> str:
        """``"K/N"``."""
        return f"{self.index}/{self.count}"

    @property
    def suffix(self) -> str:
        """``"-shard-K-of-N"``, for the names of this shard's own state files."""
        return f"-shard-{self.index}-of-{self.count}"

    def owns(self, student_id: str) -> bool:
        """Whether this shard grades ``student_id``.

        Parameters
        ----------
        student_id : str
            The student's id in the gradebook.

        Returns
        -------
        bool
            True for exactly one of the N shards.

        Examples
        --------
        >>> sum(Shard(k, 4).owns("ada") for k in range(1, 5))
        1
        """
        return owner_of(student_id, self.count) == self.index


def owner_of(student_id: str, count: int) -> int:
    """Return the shard (1..``count``) that grades ``student_id``.

    Parameters
    ----------
    student_id : str
        The student's id in the gradebook.
    count : int
        The number of shards.

    Returns
    -------
    int
        ``sha256(student_id) mod count + 1``.

    Examples
    --------
    >>> owner_of("ada", 1), owner_of("ada", 2)
    (1, 1)
    """
    digest = hashlib.sha256(student_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


__all__ = ["Shard", "owner_of"]
