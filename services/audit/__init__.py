"""Label audit: out-of-fold probabilities + cleanlab, stored as audits / audit_issues rows.

Never in-sample: every probability that scores a record comes from a model
that did not see that record's label (stratified K-fold).

==================  ==========================================================
module              concern
==================  ==========================================================
``config``          :class:`AuditConfig`, label sources
``oof``             fold assignment, out-of-fold probabilities, :data:`AUDIT_MODELS`
``cleanlab_issues`` cleanlab on arrays (classification, multi-label, tokens)
``checks``          Datalab near-duplicates / outliers / imbalance, neighbours
``ner``             token features and the NER audit
``run``             :func:`run_audit`: load labels, score, store
``job``             :func:`start_audit`: the same as a background job
``results``         reading audits back, review decisions
==================  ==========================================================
"""

from services.audit.checks import data_checks, neighbour_table
from services.audit.cleanlab_issues import ClassificationAudit, classification_issues, multilabel_issues, ner_issues
from services.audit.config import (
    AUDIT_SOURCES,
    DEFAULT_ENCODER,
    DEFAULT_MODEL,
    AuditConfig,
    ensemble_applies,
    recommended_also_encoders,
)
from services.audit.job import JOB_KIND, start_audit
from services.audit.ner import oof_token_probabilities, token_features
from services.audit.oof import (
    AUDIT_MODELS,
    HYBRID_MIN_TEXTS,
    fold_assignment,
    oof_adapter_probabilities,
    oof_embedding_probabilities,
    oof_probabilities,
)
from services.audit.results import (
    DECISIONS,
    decide,
    get_audit,
    issue_confusion,
    issues,
    latest_audit,
    record_issue,
    record_texts,
    report,
    summary,
)
from services.audit.run import labelled_records, run_audit

__all__ = [
    "AUDIT_MODELS", "DECISIONS", "ensemble_applies", "recommended_also_encoders", "DEFAULT_ENCODER", "DEFAULT_MODEL", "HYBRID_MIN_TEXTS", "JOB_KIND", "AUDIT_SOURCES", "AuditConfig",
    "ClassificationAudit", "classification_issues", "data_checks", "decide", "fold_assignment", "get_audit",
    "issue_confusion", "issues", "labelled_records", "latest_audit", "multilabel_issues", "neighbour_table",
    "ner_issues", "oof_adapter_probabilities", "oof_embedding_probabilities", "oof_probabilities",
    "oof_token_probabilities", "record_issue", "record_texts", "report", "run_audit", "start_audit", "summary",
    "token_features",
]
