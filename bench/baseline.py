"""Character 1-4-gram TF-IDF + logistic regression: the reference every starter recipe must match or beat."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kobert_chat.nlu.evaluation import classification_report


def fit_tfidf_lr(
    train_texts: Sequence[str], train_labels: Sequence[str]
) -> Callable[[Sequence[str]], list[str]]:
    """Fit the baseline once; returns texts -> predicted labels (so one fit can score several test sets)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=1)
    x_train = vec.fit_transform(train_texts)
    clf = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced")
    clf.fit(x_train, train_labels)
    return lambda texts: [str(p) for p in clf.predict(vec.transform(list(texts)))]


def tfidf_lr_report(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    labels: Sequence[str] | None = None,
) -> dict:
    predict = fit_tfidf_lr(train_texts, train_labels)
    return classification_report(list(test_labels), predict(test_texts), labels)
