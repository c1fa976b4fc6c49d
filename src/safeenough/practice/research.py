"""Transcript files analysed without a practice: for researchers and `safeenough analyze`.

Nothing here touches the database, so the command line can analyse files without loading the storage
layer (about a second and a half of start-up on two cores).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from safeenough.analysis.defaults import default_pipeline
from safeenough.analysis.models import prime
from safeenough.analysis.pipeline import AnalysisResult, analyse_many
from safeenough.transcripts import RoleAssignment, read_transcript_with_roles


@dataclass(frozen=True, slots=True)
class AnalysedFile:
    """One conversation read from a file and analysed, with how its roles were assigned."""

    filename: str
    result: AnalysisResult
    roles: RoleAssignment


def analyse_files(
    paths: Sequence[Path],
    *,
    therapist: str | None = None,
    processes: int | None = None,
    progress: Callable[[int, int], object] | None = None,
    embedding_progress: Callable[[int, int], object] | None = None,
) -> list[AnalysedFile]:
    """Read and analyse transcript files; nothing is stored.

    By default one process embeds the whole batch's turns in one pass (`embedding_progress(done,
    total)` counts distinct turns), then labels conversation by conversation (`progress(done,
    total)`); `processes=N` spreads conversations over N worker processes instead. Unreadable files
    raise a TranscriptError naming the file and line before any analysis starts.
    """
    read = [
        (path.name, item)
        for path in paths
        for item in read_transcript_with_roles(path, path.name, therapist=therapist)
    ]
    conversations = [item.roles.apply(item.conversation) for _, item in read]
    if processes is None:
        # The encoder already uses every core; one length-sorted pass over the whole batch beats
        # worker processes that each load the model and embed conversation by conversation.
        prime(
            [turn.text for conversation in conversations for turn in conversation.turns],
            progress=embedding_progress,
        )
        processes = 1
    results = analyse_many(conversations, default_pipeline(), processes=processes, progress=progress)
    return [
        AnalysedFile(filename=name, result=result, roles=item.roles)
        for (name, item), result in zip(read, results, strict=True)
    ]
