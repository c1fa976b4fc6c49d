"""The one error a transcript reader raises: it names the file, the place, and what was expected."""

from safeenough.errors import InvalidInput


class TranscriptError(InvalidInput):
    """A transcript file that cannot be read; nothing was imported.

    The message is for the therapist who uploaded the file, so it names the file, the line (or the
    paragraph, segment, …) where reading stopped, and what the reader expected to find there.
    """

    def __init__(
        self,
        filename: str,
        problem: str,
        *,
        line: int | None = None,
        place: str = "line",
    ) -> None:
        self.filename = filename
        self.problem = problem
        self.line = line
        self.place = place
        where = filename if line is None else f"{filename}, {place} {line}"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[object, tuple[str, str, int | None, str]]:
        # Rebuilt from its parts, so that it survives the trip back from a worker process.
        return (_rebuild, (self.filename, self.problem, self.line, self.place))


def _rebuild(filename: str, problem: str, line: int | None, place: str) -> TranscriptError:
    return TranscriptError(filename, problem, line=line, place=place)
