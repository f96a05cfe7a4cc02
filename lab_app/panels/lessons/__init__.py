"""The Lessons dock (:class:`LessonsView`) and its From scratch box (lesson 4's buggy updates)."""

from .view import LessonsView

__all__ = ["LessonsView"]
