"""Text units shared by the UI, the models, audits and the file formats.

``tokens`` is the one tokenizer (code-point offsets), ``bio`` the one
spans <-> BIO conversion, ``conll`` the one CoNLL reader/writer.
"""

from workbench.text.bio import bio_tags, bio_to_spans, entity_types, spans_to_bio
from workbench.text.conll import parse_conll, write_conll
from workbench.text.tokens import Token, join_words, tokenize, tokens_for

__all__ = [
    "Token", "bio_tags", "bio_to_spans", "entity_types", "join_words", "parse_conll", "spans_to_bio", "tokenize",
    "tokens_for", "write_conll",
]
